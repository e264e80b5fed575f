namespace Monitoring.Core.Alarms;

/// <summary>Settings of the alarm engine (section "Alarms" of the server's configuration).</summary>
public sealed class AlarmEngineOptions
{
    /// <summary>The poll interval absence rules written in intervals ("intervals: 3") multiply.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>More than this many raises of one rule and target within <see cref="FlappingWindow"/> make the alarm flapping (at most 1,000).</summary>
    public int FlappingRaises { get; set; } = 5;

    public TimeSpan FlappingWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A flapping alarm ends (clears, or goes on as a plain alarm) after its condition has not changed for this long.</summary>
    public TimeSpan FlappingStable { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Severities whose root-cause alarms ask for a ticket.</summary>
    public IReadOnlyList<AlarmSeverity> TicketSeverities { get; set; } = [AlarmSeverity.Critical, AlarmSeverity.Major];

    /// <summary>How long a root-cause alarm must stay active (and alerting) before it asks for a ticket.</summary>
    public TimeSpan TicketAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest a console mute may last.</summary>
    public TimeSpan MaxMute { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The longest an alarm may be shelved.</summary>
    public TimeSpan MaxShelve { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How many samples a rate-of-change rule keeps per target (oldest dropped first).</summary>
    public int RateSamples { get; set; } = 64;
}
