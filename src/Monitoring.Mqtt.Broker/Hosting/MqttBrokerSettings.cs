namespace Monitoring.Mqtt.Broker.Hosting;

/// <summary><c>Monitoring:Mqtt:Broker</c>: the embedded broker, on by default; validated at start.</summary>
public sealed class MqttBrokerSettings
{
    public const string Section = "Monitoring:Mqtt:Broker";
    public const int DefaultPort = 1883;

    public bool Enabled { get; set; } = true;

    /// <summary>1883 by default (a free port instead when another program holds it); 0 = any free port.</summary>
    public int Port { get; set; } = DefaultPort;

    /// <summary>Loopback by default, like the web console; 0.0.0.0 to let probes on the network connect.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Users probes sign in with (<c>Users:0:Username</c>, <c>Users:0:Password</c>; the password may come from the environment,
    /// <c>Monitoring__Mqtt__Broker__Users__0__Password</c>). A user without a password is ignored. Each user's topics:
    /// <c>Users:0:Publish:0</c> = <c>site/a01/probe/leak-1/#</c> (topic filters, <c>{user}</c> = the user name; none set:
    /// only <c>{user}/#</c>) and <c>Users:0:Subscribe:0</c> (none set: no subscriptions).
    /// </summary>
    public List<MqttBrokerUser> Users { get; set; } = [];

    /// <summary>Off by default: clients without a user name are refused (CONNACK "not authorized"), with or without users configured.</summary>
    public bool AllowAnonymous { get; set; }

    public int MaxClients { get; set; } = 20_000;

    public int MaxQueuedPerSession { get; set; } = 1000;

    /// <summary>Wrong passwords in a row for one user name that lock it out (as the web sign-in's <c>Monitoring:Auth:LockoutFailures</c>).</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>Wrong passwords from one client address within <see cref="LockoutMinutes"/> that lock the address out.</summary>
    public int AddressLockoutFailures { get; set; } = 20;

    /// <summary>How long a lockout lasts (minutes, at least 1).</summary>
    public int LockoutMinutes { get; set; } = 15;

    internal static IEnumerable<string> Validate(MqttBrokerSettings settings)
    {
        if (settings.Port is < 0 or > 65535)
        {
            yield return $"{Section}:Port must be 0 (any free port) to 65535; it is {settings.Port}";
        }

        if (!System.Net.IPAddress.TryParse(settings.BindAddress, out _))
        {
            yield return $"{Section}:BindAddress must be an IP address (127.0.0.1, 0.0.0.0, ::); it is '{settings.BindAddress}'";
        }

        if (settings.MaxClients < 1)
        {
            yield return $"{Section}:MaxClients must be at least 1; it is {settings.MaxClients}";
        }

        if (settings.MaxQueuedPerSession < 1)
        {
            yield return $"{Section}:MaxQueuedPerSession must be at least 1; it is {settings.MaxQueuedPerSession}";
        }

        if (settings.LockoutMinutes < 1)
        {
            yield return $"{Section}:LockoutMinutes must be at least 1 (minutes); it is {settings.LockoutMinutes}";
        }
    }
}
