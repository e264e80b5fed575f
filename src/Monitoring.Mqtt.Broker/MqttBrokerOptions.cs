using System.Net;

namespace Monitoring.Mqtt.Broker;

/// <summary>Configuration of the embedded MQTT broker (section <c>Mqtt:Broker</c>).</summary>
public sealed class MqttBrokerOptions
{
    /// <summary>On by default; off by configuration.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>TCP port; 0 picks a free port (tests).</summary>
    public int Port { get; set; } = 1883;

    /// <summary>Address to listen on (any IPv4 address by default).</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    /// <summary>
    /// Users allowed to connect. Passwords are compared in constant time and never logged; a user with an empty
    /// password is ignored (an unset secret must not open the broker to anyone who knows the name).
    /// </summary>
    public IList<MqttBrokerUser> Users { get; init; } = [];

    /// <summary>
    /// Anonymous clients (no user name): refused unless set (CONNACK 3.1.1 return code 5 / 5.0 0x87 not authorized),
    /// whether users are configured or not. With no users and this off, nobody can connect over TCP.
    /// </summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>Most clients connected at once; more are refused (CONNACK "server unavailable" / 0x97 quota exceeded).</summary>
    public int MaxClients { get; set; } = 20_000;

    /// <summary>Largest control packet accepted, in bytes (whole packet); larger ones close the connection (5.0: 0x95).</summary>
    public int MaxPacketSize { get; set; } = 256 * 1024;

    /// <summary>QoS 1/2 messages queued per session beyond those in flight (client away or slow). Over it: dropped and counted.</summary>
    public int MaxQueuedPerSession { get; set; } = 1000;

    /// <summary>QoS 1/2 messages queued over all sessions. Over it: dropped and counted.</summary>
    public int MaxQueuedTotal { get; set; } = 200_000;

    /// <summary>QoS 1/2 messages in flight to one client at once (also capped by the client's 5.0 receive maximum).</summary>
    public int MaxInflight { get; set; } = 100;

    /// <summary>QoS 0 publishes waiting in one client's outbound queue; more are dropped for that client only.</summary>
    public int MaxOutboundQos0 { get; set; } = 1000;

    /// <summary>Inbound topic aliases a 5.0 client may use (topic alias maximum in CONNACK).</summary>
    public int TopicAliasMaximum { get; set; } = 32;

    /// <summary>Time a client has after opening the TCP connection to send CONNECT.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest 5.0 session expiry granted (persistent 3.1.1 sessions never expire).</summary>
    public TimeSpan MaxSessionExpiry { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Wrong passwords in a row for one user name (known or not) that lock it out for <see cref="LockoutDuration"/>.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>Wrong passwords from one client address within <see cref="LockoutDuration"/> that lock the address out for as long.</summary>
    public int AddressLockoutFailures { get; set; } = 20;

    /// <summary>How long a lock-out lasts (and the window over which an address's failures add up). The right password is refused meanwhile.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    internal IPAddress ParseBindAddress() =>
        IPAddress.TryParse(BindAddress, out var address) ? address : throw new InvalidOperationException($"Mqtt broker: BindAddress '{BindAddress}' is not an IP address.");
}

/// <summary>A user the embedded broker accepts, and the topics it may use.</summary>
public sealed class MqttBrokerUser
{
    public string Username { get; set; } = "";

    /// <summary>Never logged.</summary>
    public string Password { get; set; } = "";

    /// <summary>
    /// Topic filters the user may publish to (and set its will on); <c>{user}</c> stands for the user name. Empty (the
    /// default): only under its own prefix, <c>{user}/#</c>. Other publishes are not delivered (5.0: PUBACK/PUBREC 0x87
    /// not authorized; 3.1.1, which has no way to say so: acknowledged and dropped), counted in <c>PublishesDenied</c>.
    /// </summary>
    public IList<string> Publish { get; set; } = [];

    /// <summary>Topic filters the user may subscribe within. Empty (the default): none (SUBACK 0x80 / 5.0 0x87).</summary>
    public IList<string> Subscribe { get; set; } = [];

    /// <inheritdoc />
    public override string ToString() => Username;
}
