namespace Monitoring.Server.Tickets;

/// <summary>Monitoring:Tickets: the SLA clock.</summary>
public sealed class TicketOptions
{
    /// <summary>How often the clock looks at every open segment.</summary>
    public int ClockIntervalMs { get; set; } = 1000;

    /// <summary>Who the system acts as for tickets opened by alarms and for clock events.</summary>
    public string SystemUser { get; set; } = "alarm-engine";
}
