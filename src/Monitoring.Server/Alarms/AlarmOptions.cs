namespace Monitoring.Server.Alarms;

/// <summary>The "Monitoring:Alarms" configuration section: the engine's limits, the lamp and the outbound webhooks.</summary>
public sealed class AlarmOptions
{
    public const string Section = "Monitoring:Alarms";

    /// <summary>Evaluate rules and raise alarms (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The rules folder; defaults to the profiles folder's rules/.</summary>
    public string? RulesDirectory { get; set; }

    /// <summary>The longest a console mute may last; a longer request is refused.</summary>
    public int MaxMuteMinutes { get; set; } = 30;

    /// <summary>The longest an alarm may be shelved.</summary>
    public int MaxShelveMinutes { get; set; } = 24 * 60;

    /// <summary>The longest a maintenance window may last (from its start to its end); a longer one is refused.</summary>
    public int MaxMaintenanceMinutes { get; set; } = 7 * 24 * 60;

    public AlarmLampOptions Lamp { get; set; } = new();

    public List<WebhookTarget> Webhooks { get; set; } = [];
}

public sealed class AlarmLampOptions
{
    /// <summary>Drive the room's Modbus alarm lamp. Null (the default) = when Modbus polling runs (see Monitoring:Modbus:Enabled).</summary>
    public bool? Enabled { get; set; }

    /// <summary>The lamp's device id; null = every device of kind lamp with a Modbus profile.</summary>
    public string? DeviceId { get; set; }

    /// <summary>How long to wait before trying an unreachable lamp again (doubles up to 30 s).</summary>
    public int RetryMilliseconds { get; set; } = 1000;

    /// <summary>How often the lamp's state is written again even when nothing changed (a lamp that rebooted gets it back).</summary>
    public int ReassertSeconds { get; set; } = 15;

    /// <summary>The first of four consecutive coils: red, yellow, green, buzzer (device-profiles/modbus/alarm-lamp.yaml).</summary>
    public ushort FirstCoil { get; set; }
}

/// <summary>One outbound webhook: where, on which events, from which severity, and the body to send.</summary>
public sealed class WebhookTarget
{
    public string Url { get; set; } = string.Empty;

    /// <summary>A name for logs and /healthz; defaults to the target's host.</summary>
    public string? Name { get; set; }

    /// <summary>Event kinds to send (raised, acknowledged, cleared, updated, closed, ticketWanted); empty = raised, acknowledged, cleared.</summary>
    public List<string> Events { get; set; } = [];

    /// <summary>The lowest severity sent (warning, minor, major, critical); default warning = all.</summary>
    public string MinSeverity { get; set; } = "warning";

    /// <summary>
    /// The body with placeholders {event}, {id}, {severity}, {device}, {port}, {target}, {rack}, {room}, {rule},
    /// {message} (Chinese), {messageEn} (English, or the Chinese when the rule has none), {value}, {state}, {raisedAt}, {at}, {user}, {comment}. Empty = the event as JSON.
    /// </summary>
    public string? Template { get; set; }

    /// <summary>The body's content type; "application/json" (the default) JSON-escapes the placeholders.</summary>
    public string ContentType { get; set; } = "application/json";

    /// <summary>Attempts per event (the first included) before it is given up; at least 1.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The wait after the first failure; doubled after each next one (with jitter), at most 60 s.</summary>
    public int RetryBaseMilliseconds { get; set; } = 500;

    public int TimeoutMilliseconds { get; set; } = 5000;

    /// <summary>
    /// Incident ticket events to send as well (opened, dispatched, accepted, recalled, departed, arrived, resolved,
    /// calledBack, complaint, closed, warned, missed, escalated, ...); empty = none. They are rendered with
    /// <see cref="TicketTemplate"/>.
    /// </summary>
    public List<string> TicketEvents { get; set; } = [];

    /// <summary>
    /// The body for ticket events, with placeholders {event}, {id}, {number}, {title}, {category}, {priority}, {status},
    /// {device}, {port}, {rack}, {room}, {area}, {team}, {holder}, {detail}, {by}, {notify}, {at}, {dueAt}. Empty = the
    /// ticket event as JSON.
    /// </summary>
    public string? TicketTemplate { get; set; }

    /// <summary>Extra request headers (e.g. an API key header); values are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
