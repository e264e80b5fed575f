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

    /// <summary>
    /// Subscribes as $share/GROUP/... (default <see cref="DefaultSharedGroup"/>): every server node in the group gets its
    /// share of the probes' messages, each message handled by one node. Empty: a plain subscription (every node gets all).
    /// </summary>
    public string? SharedGroup { get; set; } = DefaultSharedGroup;

    public const string DefaultSharedGroup = "monitoring";

    /// <summary>
    /// 5.0 Session Expiry Interval (seconds; 0 = the session ends with the connection). Above 0, with a ClientId that is
    /// stable per node, the broker keeps the node's session over a reconnect or restart and re-sends what was not
    /// acknowledged yet (a message is acknowledged only once its samples are in the pipeline).
    /// </summary>
    public uint SessionExpirySeconds { get; set; }

    public string ClientId { get; set; } = "monitoring-server-" + Environment.MachineName.ToLowerInvariant();

    /// <summary>5 (default) or 3 for MQTT 3.1.1.</summary>
    public int ProtocolVersion { get; set; } = 5;

    internal static IEnumerable<string> Validate(MqttExternalSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.Url) && !MqttCollector.TryParseUrl(settings.Url, out _, out _))
        {
            yield return $"{Section}:Url must be mqtt://host[:port] or mqtts://host[:port]";
        }

        if (!string.IsNullOrEmpty(settings.SharedGroup) && settings.SharedGroup.AsSpan().IndexOfAny("/+#") >= 0)
        {
            yield return $"{Section}:SharedGroup must not contain '/', '+' or '#'; it is '{settings.SharedGroup}'";
        }

        if (settings.ProtocolVersion is not (3 or 5))
        {
            yield return $"{Section}:ProtocolVersion must be 5 or 3 (3.1.1); it is {settings.ProtocolVersion}";
        }
    }
}
