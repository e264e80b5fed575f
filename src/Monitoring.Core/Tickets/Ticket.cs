using System.Globalization;
using System.Text.Json.Serialization;

namespace Monitoring.Core.Tickets;

/// <summary>
/// One incident ticket and its whole history. Every command checks the state first and returns why not, changing
/// nothing, when it does not apply; when it does, it records the step (who, when) and an audit line. Time is passed in:
/// the ticket never reads a clock. Not thread-safe: the ticket service serialises commands.
/// </summary>
[JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
public sealed class Ticket
{
    [JsonInclude]
    public long Id { get; private set; }
    [JsonInclude]
    public TicketCategory Category { get; private set; }
    [JsonInclude]
    public TicketPriority Priority { get; private set; } = TicketPriority.Normal;
    [JsonInclude]
    public CustomerClass CustomerClass { get; private set; }
    [JsonInclude]
    public TicketChannel Channel { get; private set; }
    [JsonInclude]
    public string Title { get; private set; } = string.Empty;
    [JsonInclude]
    public string? Description { get; private set; }
    [JsonInclude]
    public string? AreaId { get; private set; }
    [JsonInclude]
    public string? DeviceId { get; private set; }
    [JsonInclude]
    public int? Port { get; private set; }
    [JsonInclude]
    public string? RoomId { get; private set; }
    [JsonInclude]
    public string? RackId { get; private set; }
    [JsonInclude]
    public string? DeviceType { get; private set; }

    /// <summary>The skill the work needs (e.g. "network", "power"): dispatch offers teams that have it.</summary>
    [JsonInclude]
    public string? Skill { get; private set; }

    [JsonInclude]
    public Caller? Caller { get; private set; }

    /// <summary>The customer's account manager (progress notices); null when the report named none.</summary>
    [JsonInclude]
    public Contact? AccountManager { get; private set; }
    [JsonInclude]
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>
    /// A ticket opened by an alarm: when the fault began (the alarm's raise), kept apart from point A (when the ticket
    /// was opened, the NOC's "report received"). Null for other tickets and for tickets stored before it existed.
    /// </summary>
    [JsonInclude]
    public DateTimeOffset? FaultBeganAt { get; private set; }

    /// <summary>How long the fault ran before the ticket opened (fault began → A), in minutes; null without a fault time.</summary>
    [JsonIgnore]
    public double? FaultToTicketMinutes => FaultBeganAt is { } began ? Math.Max(0, (ReportedAt - began).TotalMinutes) : null;
    [JsonInclude]
    public string CreatedBy { get; private set; } = string.Empty;

    /// <summary>The current timeline: the latest record of each step (a recall clears the steps it undoes).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<TicketStep, StepRecord> Steps => StepsDoc;

    [JsonInclude]
    [JsonPropertyName("steps")]
    private Dictionary<TicketStep, StepRecord> StepsDoc { get; } = [];

    /// <summary>Every step ever recorded, including those a recall undid, in order.</summary>
    [JsonIgnore]
    public IReadOnlyList<StepRecord> StepHistory => StepHistoryDoc;

    [JsonInclude]
    [JsonPropertyName("stepHistory")]
    private List<StepRecord> StepHistoryDoc { get; } = [];

    /// <summary>2: NOC → team; 3: NOC → repair centre → team. Set by the first dispatch, from the area.</summary>
    [JsonInclude]
    public int Tiers { get; private set; }

    [JsonInclude]
    public string? CentreId { get; private set; }

    /// <summary>The field team the ticket is (or was last) with.</summary>
    [JsonInclude]
    public string? TeamId { get; private set; }

    /// <summary>Who has it now: null = the NOC, else a centre's or a team's id.</summary>
    [JsonInclude]
    public string? Holder { get; private set; }

    [JsonInclude]
    public DateTimeOffset? AssignedAt { get; private set; }
    [JsonInclude]
    public string? AssignedBy { get; private set; }
    [JsonInclude]
    public string? VehicleId { get; private set; }
    [JsonInclude]
    public string? AcceptedBy { get; private set; }
    [JsonInclude]
    public bool OtherBuilding { get; private set; }
    [JsonInclude]
    public EscalationLevel Escalation { get; private set; }
    [JsonInclude]
    public int Recalls { get; private set; }

    /// <summary>Segments ("AB", "toSite"...) the responsible party was warned about, and those marked missed.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> Warned => WarnedDoc;

    [JsonInclude]
    [JsonPropertyName("warned")]
    private List<string> WarnedDoc { get; } = [];
    [JsonIgnore]
    public IReadOnlyList<string> Missed => MissedDoc;

    [JsonInclude]
    [JsonPropertyName("missed")]
    private List<string> MissedDoc { get; } = [];

    [JsonInclude]
    public bool AlarmCleared { get; private set; }
    [JsonInclude]
    public string? Resolution { get; private set; }
    [JsonIgnore]
    public IReadOnlyList<TicketNote> Notes => NotesDoc;

    [JsonInclude]
    [JsonPropertyName("notes")]
    private List<TicketNote> NotesDoc { get; } = [];
    [JsonIgnore]
    public IReadOnlyList<TicketAttachment> Attachments => AttachmentsDoc;

    [JsonInclude]
    [JsonPropertyName("attachments")]
    private List<TicketAttachment> AttachmentsDoc { get; } = [];
    [JsonIgnore]
    public IReadOnlyList<TicketLink> Links => LinksDoc;

    [JsonInclude]
    [JsonPropertyName("links")]
    private List<TicketLink> LinksDoc { get; } = [];
    [JsonIgnore]
    public IReadOnlyList<InterceptedReport> Reports => ReportsDoc;

    [JsonInclude]
    [JsonPropertyName("reports")]
    private List<InterceptedReport> ReportsDoc { get; } = [];
    [JsonInclude]
    public CallbackRecord? Callback { get; private set; }
    [JsonIgnore]
    public IReadOnlyList<ComplaintRecord> Complaint => ComplaintDoc;

    [JsonInclude]
    [JsonPropertyName("complaint")]
    private List<ComplaintRecord> ComplaintDoc { get; } = [];
    [JsonIgnore]
    public IReadOnlyList<AuditEntry> Audit => AuditDoc;

    [JsonInclude]
    [JsonPropertyName("audit")]
    private List<AuditEntry> AuditDoc { get; } = [];
    [JsonInclude]
    public DateTimeOffset UpdatedAt { get; private set; }

    [JsonConstructor]
    private Ticket()
    {
    }

    /// <summary>A deep copy (the records inside are immutable): a command is tried on it without touching the live ticket.</summary>
    private Ticket(Ticket other)
    {
        Id = other.Id;
        Category = other.Category;
        Priority = other.Priority;
        CustomerClass = other.CustomerClass;
        Channel = other.Channel;
        Title = other.Title;
        Description = other.Description;
        AreaId = other.AreaId;
        DeviceId = other.DeviceId;
        Port = other.Port;
        RoomId = other.RoomId;
        RackId = other.RackId;
        DeviceType = other.DeviceType;
        Skill = other.Skill;
        Caller = other.Caller;
        AccountManager = other.AccountManager;
        CreatedAt = other.CreatedAt;
        CreatedBy = other.CreatedBy;
        FaultBeganAt = other.FaultBeganAt;
        StepsDoc = new Dictionary<TicketStep, StepRecord>(other.StepsDoc);
        StepHistoryDoc = [.. other.StepHistoryDoc];
        Tiers = other.Tiers;
        CentreId = other.CentreId;
        TeamId = other.TeamId;
        Holder = other.Holder;
        AssignedAt = other.AssignedAt;
        AssignedBy = other.AssignedBy;
        VehicleId = other.VehicleId;
        AcceptedBy = other.AcceptedBy;
        OtherBuilding = other.OtherBuilding;
        Escalation = other.Escalation;
        Recalls = other.Recalls;
        WarnedDoc = [.. other.WarnedDoc];
        MissedDoc = [.. other.MissedDoc];
        AlarmCleared = other.AlarmCleared;
        Resolution = other.Resolution;
        NotesDoc = [.. other.NotesDoc];
        AttachmentsDoc = [.. other.AttachmentsDoc];
        LinksDoc = [.. other.LinksDoc];
        ReportsDoc = [.. other.ReportsDoc];
        Callback = other.Callback;
        ComplaintDoc = [.. other.ComplaintDoc];
        AuditDoc = [.. other.AuditDoc];
        UpdatedAt = other.UpdatedAt;
    }

    [JsonIgnore]
    public string Number => "T" + Id.ToString("D6", CultureInfo.InvariantCulture);

    [JsonIgnore]
    public DateTimeOffset ReportedAt => Steps.TryGetValue(TicketStep.Reported, out var a) ? a.At : CreatedAt;

    [JsonIgnore]
    public TicketStatus Status =>
        Has(TicketStep.Closed) ? TicketStatus.Closed
        : Has(TicketStep.Resolved) ? TicketStatus.Resolved
        : Has(TicketStep.Arrived) ? TicketStatus.OnSite
        : Has(TicketStep.Departed) ? TicketStatus.EnRoute
        : Has(TicketStep.Accepted) ? TicketStatus.Accepted
        : Holder is not null ? TicketStatus.Dispatched
        : TicketStatus.New;

    [JsonIgnore]
    public bool IsOpen => !Has(TicketStep.Resolved) && !Has(TicketStep.Closed);

    /// <summary>With a centre that has not received it, or a team that has not accepted it: the acceptance timer runs.</summary>
    public bool AwaitingAcceptance(ServiceConfig config) =>
        IsOpen && Holder is not null && AssignedAt is not null
        && (config.FindTeam(Holder)?.Kind == TeamKind.Centre ? !Has(TicketStep.CentreReceived) : !Has(TicketStep.Accepted));

    /// <summary>Complaint steps still to do (review, follow-up, reply); empty for other categories.</summary>
    [JsonIgnore]
    public IReadOnlyList<ComplaintAction> ComplaintMissing =>
        Category != TicketCategory.Complaint ? []
        : [.. Enum.GetValues<ComplaintAction>().Where(a => !ComplaintDoc.Exists(c => c.Action == a))];

    public bool Has(TicketStep step) => Steps.ContainsKey(step);

    public DateTimeOffset? At(TicketStep step) => Steps.TryGetValue(step, out var r) ? r.At : null;

    public bool HasLink(TicketLinkKind kind, string target) => LinksDoc.Exists(l => l.Kind == kind && l.Target == target);

    /// <summary>A deep copy: the service runs a command on it and swaps it in only when the command applied and was saved.</summary>
    public Ticket Copy() => new(this);

    /// <summary>
    /// The commands the ticket's state allows now, in the order a console offers them (who may run them is the
    /// server's role check on top). The commands themselves re-check the state: this list only says what would apply.
    /// </summary>
    public IReadOnlyList<TicketAction> AvailableActions(ServiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var actions = new List<TicketAction>(6);
        var complaint = ComplaintMissing;
        var calledBack = Callback is not null || Has(TicketStep.CalledBack);
        switch (Status)
        {
            case TicketStatus.New:
                actions.Add(TicketAction.Dispatch);
                actions.Add(TicketAction.Resolve);
                break;
            case TicketStatus.Dispatched when Holder == CentreId || config.FindTeam(Holder)?.Kind == TeamKind.Centre:
                if (!Has(TicketStep.CentreReceived))
                {
                    actions.Add(TicketAction.Receive);
                }

                actions.Add(TicketAction.Dispatch);
                actions.Add(TicketAction.Resolve);
                break;
            case TicketStatus.Dispatched:
                if (!Has(TicketStep.TeamReceived))
                {
                    actions.Add(TicketAction.Receive);
                }

                actions.AddRange([TicketAction.Accept, TicketAction.Recall, TicketAction.Dispatch, TicketAction.Resolve]);
                break;
            case TicketStatus.Accepted:
                actions.AddRange([TicketAction.Depart, TicketAction.Recall, TicketAction.Resolve]);
                break;
            case TicketStatus.EnRoute:
                actions.AddRange([TicketAction.Arrive, TicketAction.Resolve]);
                break;
            case TicketStatus.OnSite:
                actions.Add(TicketAction.Resolve);
                break;
            case TicketStatus.Resolved:
                if (!calledBack)
                {
                    actions.Add(TicketAction.Callback);
                }

                AddComplaint(actions, complaint);
                actions.Add(TicketAction.Close);
                return actions;
            case TicketStatus.Closed:
                if (!calledBack)
                {
                    actions.Add(TicketAction.Callback);
                }

                return actions;
        }

        AddComplaint(actions, complaint);
        return actions;

        static void AddComplaint(List<TicketAction> actions, IReadOnlyList<ComplaintAction> missing)
        {
            foreach (var action in missing)
            {
                actions.Add(action switch
                {
                    ComplaintAction.Review => TicketAction.Review,
                    ComplaintAction.FollowUp => TicketAction.FollowUp,
                    _ => TicketAction.Reply,
                });
            }
        }
    }

    public IEnumerable<long> AlarmIds => Links.Where(l => l.Kind == TicketLinkKind.Alarm)
        .Select(l => long.Parse(l.Target, NumberStyles.None, CultureInfo.InvariantCulture));

    public static Ticket FromHotline(long id, HotlineReport report, DateTimeOffset now, ServiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(config);
        var ticket = new Ticket
        {
            Id = id,
            Category = report.Category,
            Priority = report.Priority,
            CustomerClass = report.CustomerClass,
            Channel = report.Channel,
            Title = string.IsNullOrWhiteSpace(report.Title) ? Shorten(report.Description) ?? report.Category.ToString() : report.Title.Trim(),
            Description = report.Description,
            Caller = report.Caller,
            AccountManager = report.AccountManager,
            AreaId = report.AreaId ?? config.AreaForRoom(report.RoomId),
            DeviceId = report.DeviceId,
            Port = report.Port,
            RoomId = report.RoomId,
            RackId = report.RackId,
            DeviceType = report.DeviceType,
            Skill = report.Skill,
            CreatedAt = now,
            CreatedBy = report.By,
            UpdatedAt = now,
        };
        ticket.SetStep(TicketStep.Reported, report.ReportedAt is { } at && at <= now ? at : now, report.By, null);
        if (report.DeviceId is { } device)
        {
            ticket.LinksDoc.Add(new TicketLink(TicketLinkKind.Device, device, now, report.By));
            if (report.Port is { } port)
            {
                ticket.LinksDoc.Add(new TicketLink(TicketLinkKind.Port, $"{device}:{port}", now, report.By));
            }
        }

        ticket.Record(now, report.By, "opened", $"{report.Category} via {report.Channel}");
        return ticket;
    }

    /// <summary>A ticket opened by a root-cause alarm: A is the alarm's raise time, the alarm and its target are linked.</summary>
    public static Ticket FromAlarm(long id, AlarmFacts alarm, DateTimeOffset now, ServiceConfig config, string by = "alarm-engine")
    {
        ArgumentNullException.ThrowIfNull(alarm);
        ArgumentNullException.ThrowIfNull(config);
        var ticket = new Ticket
        {
            Id = id,
            Category = TicketCategory.Fault,
            Priority = alarm.Severity switch { >= 4 => TicketPriority.Urgent, 3 => TicketPriority.High, 2 => TicketPriority.Normal, _ => TicketPriority.Low },
            Channel = TicketChannel.Alarm,
            Title = alarm.RuleName + ": " + alarm.Message,
            Description = alarm.BothMessages,
            AreaId = config.AreaForRoom(alarm.RoomId),
            DeviceId = alarm.DeviceId,
            Port = alarm.Port,
            RoomId = alarm.RoomId,
            RackId = alarm.RackId,
            DeviceType = alarm.DeviceType,
            CreatedAt = now,
            CreatedBy = by,
            UpdatedAt = now,
        };
        ticket.StartAlarmClocks(alarm.RaisedAt, now, by);
        ticket.LinksDoc.Add(new TicketLink(TicketLinkKind.Device, alarm.DeviceId, now, by));
        if (alarm.Port is { } port)
        {
            ticket.LinksDoc.Add(new TicketLink(TicketLinkKind.Port, $"{alarm.DeviceId}:{port}", now, by));
        }

        ticket.Record(now, by, "opened", $"by alarm {alarm.AlarmId}");
        ticket.LinkAlarm(alarm.AlarmId, now, by);
        foreach (var child in alarm.Suppresses)
        {
            ticket.LinkAlarm(child, now, by);
        }

        return ticket;
    }

    /// <summary>
    /// The clocks of a ticket an alarm opens: point A ("report received") is now, when the ticket opens, so segment AB
    /// measures the NOC's own reaction and a new automatic ticket is never overdue; the alarm's raise is kept as
    /// <see cref="FaultBeganAt"/> (never later than A).
    /// </summary>
    private void StartAlarmClocks(DateTimeOffset raisedAt, DateTimeOffset now, string by)
    {
        FaultBeganAt = raisedAt <= now ? raisedAt : now;
        SetStep(TicketStep.Reported, now, by, null);
    }

    /// <summary>Links an alarm (a root cause's suppressed child adds to the root's ticket this way). False if already linked.</summary>
    public bool LinkAlarm(long alarmId, DateTimeOffset now, string by)
    {
        var target = alarmId.ToString(CultureInfo.InvariantCulture);
        if (HasLink(TicketLinkKind.Alarm, target))
        {
            return false;
        }

        LinksDoc.Add(new TicketLink(TicketLinkKind.Alarm, target, now, by));
        Record(now, by, "alarm-linked", target);
        return true;
    }

    /// <summary>Marks the ticket as the one of an incident (issue 19: one ticket per incident). False if already linked.</summary>
    public bool LinkIncident(long incidentId, DateTimeOffset now, string by)
    {
        var target = incidentId.ToString(CultureInfo.InvariantCulture);
        if (HasLink(TicketLinkKind.Incident, target))
        {
            return false;
        }

        LinksDoc.Add(new TicketLink(TicketLinkKind.Incident, target, now, by));
        Record(now, by, "incident-linked", target);
        return true;
    }

    /// <summary>The alarm cleared: the ticket is told (a note), not resolved: a person resolves it.</summary>
    public TicketResult AlarmHasCleared(long alarmId, DateTimeOffset clearedAt, DateTimeOffset now, string by = "alarm-engine")
    {
        if (!HasLink(TicketLinkKind.Alarm, alarmId.ToString(CultureInfo.InvariantCulture)))
        {
            return TicketResult.Invalid($"alarm {alarmId} is not linked to ticket {Number}");
        }

        AlarmCleared = true;
        var text = $"alarm {alarmId} cleared at {clearedAt:u}";
        NotesDoc.Add(new TicketNote(now, by, text));
        Record(now, by, "alarm-cleared", text);
        return TicketResult.Done;
    }

    /// <summary>
    /// Sends the ticket on. From the NOC (no holder): to the area's repair centre (3 tiers) or straight to a field team
    /// (2 tiers): step B. From a centre: to a field team: step D (C too, if the centre never said it received it). To
    /// another team before the first accepted it: a re-dispatch by the same sender.
    /// </summary>
    public TicketResult Dispatch(string toTeamId, string by, DateTimeOffset now, ServiceConfig config, TeamAvailability availability = TeamAvailability.Standby, string? awayReason = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsOpen)
        {
            return TicketResult.Conflict($"ticket {Number} is {Status.ToString().ToLowerInvariant()}: nothing to dispatch");
        }

        if (Has(TicketStep.Accepted))
        {
            return TicketResult.Conflict($"ticket {Number} was accepted by {TeamId}; the team must recall it before it can go elsewhere");
        }

        if (config.FindTeam(toTeamId) is not { } team)
        {
            return TicketResult.Invalid($"no team '{toTeamId}'");
        }

        if (team.Kind == TeamKind.Noc)
        {
            return TicketResult.Invalid($"'{toTeamId}' is the NOC: tickets start there");
        }

        if (availability == TeamAvailability.Away)
        {
            return TicketResult.Conflict($"team '{toTeamId}' is away ({awayReason ?? "no reason given"}): choose the next team with the same skill");
        }

        var area = config.FindArea(AreaId);
        var holderTeam = config.FindTeam(Holder);
        if (Holder is null || holderTeam?.Kind == TeamKind.Field && Tiers != 3)
        {
            // the NOC dispatches (first time, after a recall, or re-dispatching before acceptance)
            var tiers = area?.Tiers ?? 2;
            if (tiers == 3 && team.Kind != TeamKind.Centre)
            {
                return TicketResult.Invalid($"area '{AreaId}' dispatches over three tiers: the NOC sends to the repair centre '{area!.CentreId}', not to a team");
            }

            if (tiers == 2 && team.Kind != TeamKind.Field)
            {
                return TicketResult.Invalid($"area '{AreaId}' dispatches over two tiers: the NOC sends straight to a field team");
            }

            Tiers = tiers;
            Clear(TicketStep.CentreReceived, TicketStep.CentreDispatched, TicketStep.TeamReceived);
            SetStep(TicketStep.Dispatched, now, by, toTeamId);
            if (team.Kind == TeamKind.Centre)
            {
                CentreId = team.Id;
            }
            else
            {
                TeamId = team.Id;
                OtherBuilding = IsOtherBuilding(config.Noc, team);
            }
        }
        else
        {
            // the centre dispatches to one of its teams (or re-dispatches before acceptance)
            if (team.Kind != TeamKind.Field)
            {
                return TicketResult.Invalid($"the repair centre dispatches to a field team; '{toTeamId}' is a {team.Kind.ToString().ToLowerInvariant()}");
            }

            if (!Has(TicketStep.CentreReceived))
            {
                SetStep(TicketStep.CentreReceived, now, by, null);
            }

            Clear(TicketStep.TeamReceived);
            SetStep(TicketStep.CentreDispatched, now, by, toTeamId);
            TeamId = team.Id;
            OtherBuilding = IsOtherBuilding(config.FindTeam(CentreId), team);
        }

        Holder = team.Id;
        AssignedAt = now;
        AssignedBy = by;
        Escalation = EscalationLevel.None;
        Record(now, by, "dispatched", toTeamId);
        return TicketResult.Done;
    }

    /// <summary>The holder (centre: C, team: E) confirms the ticket reached it.</summary>
    public TicketResult Receive(string by, DateTimeOffset now, ServiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsOpen || Holder is null)
        {
            return TicketResult.Conflict($"ticket {Number} is not dispatched to anyone");
        }

        var step = config.FindTeam(Holder)?.Kind == TeamKind.Centre ? TicketStep.CentreReceived : TicketStep.TeamReceived;
        if (Has(step))
        {
            return TicketResult.Conflict($"ticket {Number} was already received by {Holder}");
        }

        SetStep(step, now, by, Holder);
        Record(now, by, "received", Holder);
        return TicketResult.Done;
    }

    /// <summary>F: the field team takes the ticket (E too, if it never said it received it).</summary>
    public TicketResult Accept(string by, DateTimeOffset now, ServiceConfig config, string? vehicleId = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!IsOpen || Holder is null || config.FindTeam(Holder)?.Kind != TeamKind.Field)
        {
            return TicketResult.Conflict($"ticket {Number} is not with a field team (status {Status.ToString().ToLowerInvariant()})");
        }

        if (Has(TicketStep.Accepted))
        {
            return TicketResult.Conflict($"ticket {Number} was already accepted by {AcceptedBy}");
        }

        if (vehicleId is not null && config.FindTeam(Holder)!.Vehicles.All(v => v.Id != vehicleId))
        {
            return TicketResult.Invalid($"team '{Holder}' has no vehicle '{vehicleId}'");
        }

        if (!Has(TicketStep.TeamReceived))
        {
            SetStep(TicketStep.TeamReceived, now, by, Holder);
        }

        SetStep(TicketStep.Accepted, now, by, vehicleId);
        AcceptedBy = by;
        VehicleId = vehicleId;
        Record(now, by, "accepted", vehicleId is null ? Holder : $"{Holder} with {vehicleId}");
        return TicketResult.Done;
    }

    /// <summary>The team sends back a ticket that is not theirs: it returns to its sender (the centre, or the NOC) for re-dispatch.</summary>
    public TicketResult Recall(string by, string reason, DateTimeOffset now, ServiceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (string.IsNullOrWhiteSpace(reason))
        {
            return TicketResult.Invalid("a recall needs a reason");
        }

        if (!IsOpen || Holder is null || config.FindTeam(Holder)?.Kind != TeamKind.Field)
        {
            return TicketResult.Conflict($"ticket {Number} is not with a field team");
        }

        if (Has(TicketStep.Departed))
        {
            return TicketResult.Conflict($"ticket {Number}: the team has already departed; resolve it with a note instead");
        }

        var team = Holder;
        Clear(TicketStep.TeamReceived, TicketStep.Accepted);
        if (Tiers == 3 && CentreId is not null)
        {
            Clear(TicketStep.CentreDispatched);
            Holder = CentreId;
        }
        else
        {
            Clear(TicketStep.Dispatched);
            Holder = null;
        }

        AssignedAt = Holder is null ? null : now;
        AcceptedBy = null;
        VehicleId = null;
        Escalation = EscalationLevel.None;
        Recalls++;
        NotesDoc.Add(new TicketNote(now, by, $"recalled by {team}: {reason}"));
        Record(now, by, "recalled", $"{team}: {reason}");
        return TicketResult.Done;
    }

    public TicketResult Depart(string by, DateTimeOffset now)
    {
        if (!IsOpen || !Has(TicketStep.Accepted))
        {
            return TicketResult.Conflict($"ticket {Number} must be accepted before the team departs");
        }

        if (Has(TicketStep.Departed))
        {
            return TicketResult.Conflict($"ticket {Number}: the team already departed");
        }

        SetStep(TicketStep.Departed, now, by, null);
        Record(now, by, "departed", VehicleId);
        return TicketResult.Done;
    }

    public TicketResult Arrive(string by, DateTimeOffset now)
    {
        if (!IsOpen || !Has(TicketStep.Departed))
        {
            return TicketResult.Conflict($"ticket {Number}: the team must depart before it arrives");
        }

        if (Has(TicketStep.Arrived))
        {
            return TicketResult.Conflict($"ticket {Number}: the team already arrived");
        }

        SetStep(TicketStep.Arrived, now, by, null);
        Record(now, by, "arrived", null);
        return TicketResult.Done;
    }

    public TicketResult Resolve(string by, string note, IReadOnlyList<TicketAttachment>? photos, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(note))
        {
            return TicketResult.Invalid("resolving needs a note saying what was done");
        }

        if (!IsOpen)
        {
            return TicketResult.Conflict($"ticket {Number} is already {Status.ToString().ToLowerInvariant()}");
        }

        Resolution = note;
        SetStep(TicketStep.Resolved, now, by, note);
        foreach (var photo in photos ?? [])
        {
            AttachmentsDoc.Add(photo with { At = now, By = by });
        }

        Record(now, by, "resolved", note);
        return TicketResult.Done;
    }

    /// <summary>The caller is asked whether they are satisfied; once per ticket, after it is resolved.</summary>
    public TicketResult RecordCallback(string by, bool satisfied, string? comment, DateTimeOffset now)
    {
        if (!Has(TicketStep.Resolved))
        {
            return TicketResult.Conflict($"ticket {Number} is not resolved yet: call back after the fix");
        }

        if (Callback is not null)
        {
            return TicketResult.Conflict($"ticket {Number} was already called back by {Callback.By}");
        }

        Callback = new CallbackRecord(now, by, satisfied, comment);
        SetStep(TicketStep.CalledBack, now, by, comment);
        Record(now, by, "called-back", satisfied ? "satisfied" : "not satisfied");
        return TicketResult.Done;
    }

    /// <summary>Complaints: each must be reviewed, followed up and replied to; each once.</summary>
    public TicketResult RecordComplaint(ComplaintAction action, string by, string? note, DateTimeOffset now)
    {
        if (Category != TicketCategory.Complaint)
        {
            return TicketResult.Conflict($"ticket {Number} is a {Category.ToString().ToLowerInvariant()}, not a complaint");
        }

        if (ComplaintDoc.Exists(c => c.Action == action))
        {
            return TicketResult.Conflict($"ticket {Number}: the complaint was already {Past(action)}");
        }

        ComplaintDoc.Add(new ComplaintRecord(action, now, by, note));
        Record(now, by, "complaint-" + YamlName(action), note);
        return TicketResult.Done;
    }

    public TicketResult Close(string by, string? note, DateTimeOffset now)
    {
        if (Has(TicketStep.Closed))
        {
            return TicketResult.Conflict($"ticket {Number} is already closed");
        }

        if (!Has(TicketStep.Resolved))
        {
            return TicketResult.Conflict($"ticket {Number} must be resolved before it is closed");
        }

        if (ComplaintMissing is { Count: > 0 } missing)
        {
            return TicketResult.Conflict($"complaint {Number} cannot close: still to be {string.Join(", ", missing.Select(Past))}");
        }

        Holder = null;
        SetStep(TicketStep.Closed, now, by, note);
        Record(now, by, "closed", note);
        return TicketResult.Done;
    }

    public TicketResult AddNote(string by, string text, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return TicketResult.Invalid("a note needs text");
        }

        NotesDoc.Add(new TicketNote(now, by, text));
        Record(now, by, "note", text);
        return TicketResult.Done;
    }

    public TicketResult AddLink(TicketLinkKind kind, string target, string by, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            return TicketResult.Invalid("a link needs a target");
        }

        if (kind == TicketLinkKind.Ticket && target == Id.ToString(CultureInfo.InvariantCulture))
        {
            return TicketResult.Invalid("a ticket cannot link to itself");
        }

        if (HasLink(kind, target))
        {
            return TicketResult.Conflict($"ticket {Number} already links {kind.ToString().ToLowerInvariant()} {target}");
        }

        LinksDoc.Add(new TicketLink(kind, target, now, by));
        Record(now, by, "linked", $"{kind.ToString().ToLowerInvariant()} {target}");
        return TicketResult.Done;
    }

    /// <summary>A hotline report about this open ticket's fault is linked here instead of opening a duplicate.</summary>
    public TicketResult Intercept(HotlineReport report, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        if (!IsOpen)
        {
            return TicketResult.Conflict($"ticket {Number} is {Status.ToString().ToLowerInvariant()}: open a new ticket instead");
        }

        ReportsDoc.Add(new InterceptedReport(now, report.By, report.Caller, report.Channel, report.Description));
        Record(now, report.By, "intercepted", report.Caller?.Name ?? report.Caller?.Phone);
        return TicketResult.Done;
    }

    /// <summary>The clock warned the responsible party that a segment is due soon. False if already warned.</summary>
    public bool MarkWarned(string segment, DateTimeOffset due, DateTimeOffset now)
    {
        if (Warned.Contains(segment))
        {
            return false;
        }

        WarnedDoc.Add(segment);
        Record(now, "clock", "warned", $"{segment} due at {due:u}");
        return true;
    }

    public bool MarkMissed(string segment, DateTimeOffset due, DateTimeOffset now)
    {
        if (Missed.Contains(segment))
        {
            return false;
        }

        MissedDoc.Add(segment);
        Record(now, "clock", "missed", $"{segment} was due at {due:u}");
        return true;
    }

    public bool Escalate(EscalationLevel level, string detail, DateTimeOffset now)
    {
        if (level <= Escalation)
        {
            return false;
        }

        Escalation = level;
        Record(now, "clock", level == EscalationLevel.PhoneReceiver ? "escalated-phone" : "escalated-supervisors", detail);
        return true;
    }

    internal void SetStep(TicketStep step, DateTimeOffset at, string by, string? note)
    {
        var record = new StepRecord(step, at, by, note);
        StepsDoc[step] = record;
        StepHistoryDoc.Add(record);
        UpdatedAt = at > UpdatedAt ? at : UpdatedAt;
    }

    private void Clear(params TicketStep[] steps)
    {
        foreach (var step in steps)
        {
            StepsDoc.Remove(step);
        }
    }

    private void Record(DateTimeOffset now, string by, string action, string? detail)
    {
        AuditDoc.Add(new AuditEntry(Audit.Count + 1, now, by, action, detail));
        UpdatedAt = now > UpdatedAt ? now : UpdatedAt;
    }

    private static bool IsOtherBuilding(ServiceTeam? sender, ServiceTeam team) =>
        sender?.Building is { } from && team.Building is { } to && !string.Equals(from, to, StringComparison.Ordinal);

    private static string Past(ComplaintAction action) => action switch
    {
        ComplaintAction.Review => "reviewed",
        ComplaintAction.FollowUp => "followed up",
        _ => "replied to",
    };

    private static string YamlName(ComplaintAction action) => action switch
    {
        ComplaintAction.Review => "review",
        ComplaintAction.FollowUp => "follow-up",
        _ => "reply",
    };

    private static string? Shorten(string? text) =>
        string.IsNullOrWhiteSpace(text) ? null : text.Length <= 60 ? text.Trim() : text[..60].Trim() + "…";
}
