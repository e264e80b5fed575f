namespace Monitoring.Core.Alarms;

/// <summary>
/// One incident as the API, the hub and other components see it: alarms that share a root cause or a trigger, the unit
/// a ticket is opened for. Immutable. <see cref="Severity"/> is the highest of its alarms; <see cref="End"/> is null
/// while any of them is active (raised or acknowledged) and the time the last one cleared afterwards.
/// <see cref="AlarmIds"/> are its alarms, oldest first (an alarm that moved on to its root cause's incident left it).
/// </summary>
public sealed record IncidentSnapshot
{
    public required long Id { get; init; }
    /// <summary>In Chinese.</summary>
    public required string Title { get; init; }
    public required string TitleEn { get; init; }
    public required AlarmSeverity Severity { get; init; }
    public required DateTimeOffset Start { get; init; }
    public DateTimeOffset? End { get; init; }
    public required IReadOnlyList<long> AlarmIds { get; init; }
    /// <summary>The ticket opened for it (the ticket's id, as a string), once there is one.</summary>
    public string? TicketId { get; init; }
    public required string RoomId { get; init; }
    /// <summary>The rule's cause (e.g. "power", "cooling"), or, for an alarm of a rule without one, the rule's id.</summary>
    public required string Cause { get; init; }
}

/// <summary>Receives every change of an incident (called on the engine's thread, in order; must not block).</summary>
public interface IIncidentSink
{
    void OnIncident(IncidentSnapshot incident);
}

/// <summary>The incidents as the server uses them: list, find, the ticket opened for one, and their changes.</summary>
public interface IIncidentService
{
    /// <summary>Open incidents (<paramref name="open"/> true), ended ones (false) or both (null), newest first.</summary>
    IReadOnlyList<IncidentSnapshot> Incidents(bool? open, int limit = 500);

    IncidentSnapshot? FindIncident(long id);

    /// <summary>Records the ticket opened for an incident (kept, and pushed to the incident's listeners); null for an unknown incident.</summary>
    IncidentSnapshot? SetIncidentTicket(long incidentId, string ticketId);

    IDisposable SubscribeIncidents(IIncidentSink sink);
}

/// <summary>What the store knows of incidents at start: those not ended, and the highest id ever given.</summary>
public sealed record IncidentStoreState(IReadOnlyList<IncidentSnapshot> Open, long LastIncidentId);

/// <summary>
/// An alarm store that also keeps incidents. Writes go through the same ordered queue as alarm events, so an incident
/// is stored before the alarm event that names it; reads wait for what was queued before them.
/// </summary>
public interface IIncidentStore
{
    /// <summary>Records an incident, new or changed. Queued, in order with the alarm events.</summary>
    void SaveIncident(IncidentSnapshot incident);

    IncidentStoreState LoadIncidents();

    /// <summary>Newest first; <paramref name="open"/> as in <see cref="IIncidentService.Incidents"/>. Incidents every alarm left are not listed.</summary>
    IReadOnlyList<IncidentSnapshot> QueryIncidents(bool? open, int limit);

    IncidentSnapshot? FindIncident(long id);
}
