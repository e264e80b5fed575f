namespace Monitoring.Collectors.Mqtt.Hosting;

/// <summary><c>Monitoring:Mqtt:External</c>: subscribe to a site broker (mosquitto, EMQX) instead of, or as well as, the embedded one.</summary>
public sealed class MqttExternalSettings
{
    public const string Section = "Monitoring:Mqtt:External";

    /// <summary>mqtt://host[:port] or mqtts://host[:port] (TLS). Unset = no external broker.</summary>
    public string? Url { get; set; }

    public string? User { get; set; }

    /// <summary>Never logged nor shown in /healthz.</summary>
    public string? Password { get; set; }

    /// <summary>When set, subscribes as $share/GROUP/...: several servers split the probes' messages.</summary>
    public string? SharedGroup { get; set; }

    public string ClientId { get; set; } = "monitoring-server-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>5 (default) or 3 for MQTT 3.1.1.</summary>
    public int ProtocolVersion { get; set; } = 5;

    internal static IEnumerable<string> Validate(MqttExternalSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.Url) && !MqttCollector.TryParseUrl(settings.Url, out _, out _))
        {
            yield return $"{Section}:Url must be mqtt://host[:port] or mqtts://host[:port]";
        }

        if (settings.ProtocolVersion is not (3 or 5))
        {
            yield return $"{Section}:ProtocolVersion must be 5 or 3 (3.1.1); it is {settings.ProtocolVersion}";
        }
    }
}
