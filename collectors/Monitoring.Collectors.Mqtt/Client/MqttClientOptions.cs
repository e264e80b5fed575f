using System.Net.Security;
using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>How an <see cref="MqttClient"/> connects, and how it behaves when the connection drops.</summary>
public sealed class MqttClientOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 1883;
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V500;

    /// <summary>Empty lets the server assign one (5.0; 3.1.1 only with a clean session). An assigned id is kept for reconnects.</summary>
    public string ClientId { get; set; } = string.Empty;

    public string? UserName { get; set; }

    /// <summary>Sent in CONNECT and never logged.</summary>
    public string? Password { get; set; }

    /// <summary>Clean Session (3.1.1) / Clean Start (5.0) on the first connect. Reconnects always resume the session (Clean Start 0) unless the session is meant to be clean.</summary>
    public bool CleanStart { get; set; } = true;

    /// <summary>5.0 Session Expiry Interval in seconds: 0 ends the session at disconnect; <see cref="uint.MaxValue"/> never expires.</summary>
    public uint SessionExpiryInterval { get; set; }

    /// <summary>Keep Alive; zero turns keep-alive off. The broker may override it (5.0 Server Keep Alive).</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>TLS when set (SslStream); TargetHost defaults to <see cref="Host"/>.</summary>
    public SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>Our outbound QoS 1/2 in-flight limit; the broker's Receive Maximum lowers it further in 5.0.</summary>
    public int MaxInFlight { get; set; } = 100;

    /// <summary>The Receive Maximum we announce (5.0): how many QoS 1/2 messages the broker may have in flight to us.</summary>
    public ushort ReceiveMaximum { get; set; } = 1000;

    /// <summary>Largest packet we accept (and announce in 5.0); larger ones close the connection with 0x95.</summary>
    public int MaxPacketSize { get; set; } = 1024 * 1024;

    /// <summary>Capacity of <see cref="MqttClient.Messages"/>; when full, reading from the socket waits (back-pressure to the broker).</summary>
    public int InboundCapacity { get; set; } = 10_000;

    /// <summary>
    /// When set, a received QoS 1/2 message is acknowledged (PUBACK/PUBREC) only when the consumer calls
    /// <see cref="MqttClient.Acknowledge"/>, once it has kept the message; unset, on receipt.
    /// </summary>
    public bool ManualAcknowledge { get; set; }

    public MqttWill? Will { get; set; }

    public bool AutoReconnect { get; set; } = true;
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(60);
}
