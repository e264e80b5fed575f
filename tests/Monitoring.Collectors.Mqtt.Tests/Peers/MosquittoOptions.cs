namespace Monitoring.Collectors.Mqtt.Tests.Peers;

/// <summary>How <see cref="MosquittoBroker"/> configures the mosquitto it starts.</summary>
public sealed class MosquittoOptions
{
    /// <summary>When false, only the users in <see cref="Users"/> may connect.</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>User name to password; written with <c>mosquitto_passwd -b</c>.</summary>
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>Keep sessions and queued messages in a database in the temp dir across restarts.</summary>
    public bool Persistence { get; set; }

    /// <summary>Add a TLS listener on <see cref="MosquittoBroker.TlsPort"/> with these PEM files (certificate, private key, CA).</summary>
    public (string CertFile, string KeyFile, string CaFile)? Tls { get; set; }

    /// <summary>Queued messages per offline persistent session (mosquitto's max_queued_messages).</summary>
    public int MaxQueuedMessages { get; set; } = 100_000;

    /// <summary>Extra lines appended to mosquitto.conf.</summary>
    public List<string> ExtraConfig { get; } = [];
}
