using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Monitoring.Collectors;
using Monitoring.Collectors.Mqtt.Broker;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Simulator.Mqtt;

namespace Monitoring.Server.Hosting;

/// <summary>
/// MQTT into the live room: the embedded broker (on by default, <c>Monitoring:Mqtt:Broker</c>), a client subscribed to
/// an external broker when <c>Monitoring:Mqtt:External:Url</c> is set, and the <see cref="ProbeCollector"/> that turns
/// both sources' messages into samples. The embedded broker hands messages to the collector in-process (no socket).
/// With the demo simulator, the room's probes connect to the broker over TCP and publish, signed in as a user made up at
/// start that lives only in memory. The broker refuses anonymous clients unless <c>Monitoring:Mqtt:Broker:AllowAnonymous</c>
/// is true. /healthz shows <c>mqtt</c> with the broker's and the collector's counters and every offline probe; passwords
/// are never logged or shown.
/// </summary>
internal sealed partial class MqttService(
    Inventory inventory,
    SeriesRegistry registry,
    ProbeProfileSet profiles,
    SamplePipeline pipeline,
    PollHealth pollHealth,
    ComponentHealth health,
    TimeProvider time,
    ILoggerFactory loggers,
    IOptions<MonitoringOptions> options,
    MqttDemoProbes? demo = null) : BackgroundService
{
    public const string Component = "mqtt";
    public const int DefaultPort = 1883;

    private volatile MqttBroker? _broker;
    private volatile MqttClient? _external;
    private volatile ProbeCollector? _collector;

    /// <summary>The embedded broker once it listens (null when off or not started yet).</summary>
    public MqttBroker? Broker => _broker;

    /// <summary>The collector once built.</summary>
    public ProbeCollector? Collector => _collector;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value.Mqtt;
        var logger = loggers.CreateLogger<MqttService>();
        using var collector = new ProbeCollector(inventory, registry, profiles.Profiles, pipeline.From(SampleSource.Mqtt), time, loggers.CreateLogger<ProbeCollector>(), pollHealth);
        _collector = collector;
        foreach (var problem in collector.Problems)
        {
            LogProblem(logger, problem);
        }

        var subscriptions = new List<IDisposable>();
        string? brokerError = null;
        try
        {
            if (settings.Broker.Enabled)
            {
                try
                {
                    var broker = await StartBrokerAsync(settings.Broker, logger, stoppingToken).ConfigureAwait(false);
                    _broker = broker;
                    foreach (var filter in collector.SubscriptionFilters)
                    {
                        subscriptions.Add(broker.SubscribeLocal(filter, m => collector.Accept(m.Topic, m.Payload.Span), maxQos: 1));
                    }

                    var address = "mqtt://" + broker.LocalEndPoint;
                    var configured = ConfiguredUsers(settings.Broker, logger);
                    LogBroker(logger, address, configured.Count, settings.Broker.AllowAnonymous, collector.SubscriptionFilters.Count);
                    if (configured.Count == 0 && !settings.Broker.AllowAnonymous)
                    {
                        LogNoUsers(logger, address);
                    }
                }
                catch (Exception ex) when (ex is SocketException or InvalidOperationException)
                {
                    brokerError = $"the embedded broker could not start: {ex.Message}";
                    LogBrokerFailed(logger, ex, settings.Broker.Port);
                }
            }

            Task externalLoop = Task.CompletedTask;
            if (!string.IsNullOrWhiteSpace(settings.External.Url))
            {
                _external = CreateExternalClient(settings.External, out var display);
                LogExternal(logger, display, settings.External.SharedGroup ?? "(none)");
                externalLoop = RunExternalAsync(_external, collector, settings.External, logger, stoppingToken);
            }

            if (demo is not null && collector.DeviceIds.Count > 0)
            {
                await StartDemoAsync(settings, logger, stoppingToken).ConfigureAwait(false);
            }

            var run = collector.RunAsync(stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
            do
            {
                Report(collector, settings, brokerError);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));

            await run.ConfigureAwait(false);
            await externalLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }

            if (demo is not null)
            {
                await demo.DisposeAsync().ConfigureAwait(false);
            }

            if (_external is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            if (_broker is { } broker)
            {
                await broker.DisposeAsync().ConfigureAwait(false);
            }

            _collector = null;
        }
    }

    /// <summary>The configured port; when that is the default 1883 and something else holds it, a free port instead.</summary>
    private async Task<MqttBroker> StartBrokerAsync(MqttBrokerSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        var users = ConfiguredUsers(settings, logger: null);
        if (demo is not null)
        {
            // the simulated probes sign in like any probe; their password is made up here and lives only in memory
            // and, like a probe, may publish only under the probes' topics and subscribe to nothing
            users.Add(new MqttBrokerUser { Username = SimulatorUser, Password = SimulatorPassword, Publish = [SimulatorTopics] });
        }

        MqttBrokerOptions Options(int port) => new()
        {
            Port = port,
            BindAddress = settings.BindAddress,
            Users = users,
            AllowAnonymous = settings.AllowAnonymous,
            MaxClients = settings.MaxClients,
            MaxQueuedPerSession = settings.MaxQueuedPerSession,
            LockoutFailures = settings.LockoutFailures,
            AddressLockoutFailures = settings.AddressLockoutFailures,
            LockoutDuration = TimeSpan.FromMinutes(Math.Max(1, settings.LockoutMinutes)),
        };

        var broker = new MqttBroker(Options(settings.Port), loggers.CreateLogger<MqttBroker>(), time);
        try
        {
            await broker.StartAsync(cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && settings.Port == DefaultPort)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            LogPortTaken(logger, settings.Port);
            broker = new MqttBroker(Options(0), loggers.CreateLogger<MqttBroker>(), time);
            await broker.StartAsync(cancellationToken).ConfigureAwait(false);
            return broker;
        }
    }

    /// <summary>What the simulated probes publish to (site/ROOM/probe/DEVICE/...), the only topics their user may publish to.</summary>
    internal const string SimulatorTopics = "site/+/probe/#";

    /// <summary>The user the simulated probes sign in with; the random suffix keeps it apart from any configured user.</summary>
    internal string SimulatorUser { get; } = "monitoring-simulator-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>Made up at start, held only in memory, never logged (internal so a test can search the logs for it).</summary>
    internal string SimulatorPassword { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>
    /// The configured users that can sign in: a user without a name is skipped, and one without a password too (the broker
    /// would ignore it anyway), with a warning naming the setting to fill when a logger is given.
    /// </summary>
    private static List<MqttBrokerUser> ConfiguredUsers(MqttBrokerSettings settings, ILogger? logger)
    {
        var users = new List<MqttBrokerUser>(settings.Users.Count + 1);
        for (var i = 0; i < settings.Users.Count; i++)
        {
            var user = settings.Users[i];
            if (string.IsNullOrEmpty(user.Username))
            {
                continue;
            }

            if (string.IsNullOrEmpty(user.Password))
            {
                if (logger is not null)
                {
                    LogUserWithoutPassword(logger, user.Username, i);
                }

                continue;
            }

            if (logger is not null && user.Publish.Count == 0)
            {
                LogUserOwnPrefix(logger, user.Username, i);
            }

            users.Add(user);
        }

        return users;
    }

    private async Task StartDemoAsync(MqttOptions settings, ILogger logger, CancellationToken cancellationToken)
    {
        string host;
        int port;
        string? user = null;
        string? password = null;
        if (_broker?.LocalEndPoint is { } endPoint)
        {
            host = "127.0.0.1";
            port = endPoint.Port;
            (user, password) = (SimulatorUser, SimulatorPassword);
        }
        else if (TryParseUrl(settings.External.Url, out var uri, out _))
        {
            (host, port, user, password) = (uri.Host, uri.Port, settings.External.User, settings.External.Password);
        }
        else
        {
            LogNoDemoBroker(logger);
            return;
        }

        try
        {
            await demo!.StartAsync(host, port, user, password, cancellationToken).ConfigureAwait(false);
            LogDemo(logger, demo.ServedDeviceIds.Count, demo.Interval.TotalSeconds);
        }
        catch (Exception ex) when (ex is SocketException or IOException or MqttConnectException or TimeoutException)
        {
            LogDemoFailed(logger, ex);
        }
    }

    private static MqttClient CreateExternalClient(MqttExternalSettings settings, out string display)
    {
        if (!TryParseUrl(settings.Url, out var uri, out var tls))
        {
            throw new InvalidOperationException($"Monitoring:Mqtt:External:Url must be mqtt://host[:port] or mqtts://host[:port]");
        }

        display = $"{uri.Scheme}://{uri.Host}:{uri.Port}"; // never the user info of the URL
        return new MqttClient(new MqttClientOptions
        {
            Host = uri.Host,
            Port = uri.Port,
            ProtocolVersion = settings.ProtocolVersion == 3 ? MqttProtocolVersion.V311 : MqttProtocolVersion.V500,
            ClientId = settings.ClientId,
            UserName = string.IsNullOrEmpty(settings.User) ? null : settings.User,
            Password = string.IsNullOrEmpty(settings.Password) ? null : settings.Password,
            CleanStart = true,
            Tls = tls ? new SslClientAuthenticationOptions { TargetHost = uri.Host } : null,
        });
    }

    internal static bool TryParseUrl(string? url, out Uri uri, out bool tls)
    {
        tls = false;
        uri = null!;
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "mqtt://" + url, UriKind.Absolute, out var parsed))
        {
            return false;
        }

        tls = parsed.Scheme is "mqtts" or "ssl" or "tls";
        if (!tls && parsed.Scheme is not ("mqtt" or "tcp"))
        {
            return false;
        }

        uri = new UriBuilder(parsed.Scheme, parsed.Host, parsed.IsDefaultPort || parsed.Port < 0 ? (tls ? 8883 : DefaultPort) : parsed.Port).Uri;
        return true;
    }

    private static async Task RunExternalAsync(MqttClient client, ProbeCollector collector, MqttExternalSettings settings, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            client.Start();
            await client.WaitUntilConnectedAsync(cancellationToken).ConfigureAwait(false);
            var filters = collector.SubscriptionFilters
                .Select(f => new MqttTopicSubscription(string.IsNullOrEmpty(settings.SharedGroup) ? f : $"$share/{settings.SharedGroup}/{f}", MqttQualityOfService.AtLeastOnce))
                .ToList();
            var codes = await client.SubscribeAsync(filters, cancellationToken: cancellationToken).ConfigureAwait(false);
            var granted = string.Join(", ", codes);
            LogSubscribed(logger, filters.Count, granted);
            await foreach (var message in client.Messages.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                collector.Accept(message.Topic, message.Payload.Span);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the external broker's troubles are reported in /healthz; they must not stop the server
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogExternalFailed(logger, ex);
        }
    }

    private void Report(ProbeCollector collector, MqttOptions settings, string? brokerError)
    {
        var stats = collector.Stats();
        var offline = collector.Probes().Where(p => p.State == ProbeLiveness.Offline).ToList();
        var data = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["probes"] = collector.DeviceIds.Count,
            ["online"] = stats.Online,
            ["offline"] = stats.Offline,
            ["offlineProbes"] = offline.Select(p => new { id = p.DeviceId, name = inventory.FindDevice(p.DeviceId)?.Name, reason = p.Reason, lastSeen = p.LastSeen }).ToList(),
            ["messages"] = stats.Messages,
            ["accepted"] = stats.Accepted,
            ["samples"] = stats.Samples,
            ["unknownTopics"] = stats.UnknownTopics,
            ["unknownDevices"] = stats.UnknownDevices,
            ["badPayloads"] = stats.BadPayloads,
            ["willsReceived"] = stats.Wills,
            ["subscriptions"] = collector.SubscriptionFilters,
        };
        if (_broker is { } broker)
        {
            var b = broker.GetStats();
            data["broker"] = new
            {
                address = $"mqtt://{broker.LocalEndPoint}",
                listening = b.Listening,
                connectedClients = b.ConnectedClients,
                sessions = b.Sessions,
                subscriptions = b.Subscriptions,
                retainedMessages = b.RetainedMessages,
                queuedMessages = b.QueuedMessages,
                queueBoundPerSession = b.QueueBoundPerSession,
                queueBoundTotal = b.QueueBoundTotal,
                queueDrops = b.QueueDrops,
                qos0Drops = b.Qos0Drops,
                messagesIn = b.MessagesIn,
                messagesOut = b.MessagesOut,
                connectionsAccepted = b.ConnectionsAccepted,
                connectionsRefused = b.ConnectionsRefused,
                protocolErrors = b.ProtocolErrors,
                keepAliveTimeouts = b.KeepAliveTimeouts,
                willsPublished = b.WillsPublished,
                lockouts = b.Lockouts,
                connectionsLockedOut = b.ConnectionsLockedOut,
                publishesDenied = b.PublishesDenied,
                subscriptionsDenied = b.SubscriptionsDenied,
            };
        }

        if (_external is { } external && TryParseUrl(settings.External.Url, out var uri, out _))
        {
            data["external"] = new { url = $"{uri.Scheme}://{uri.Host}:{uri.Port}", connected = external.IsConnected, reconnects = Math.Max(0, external.ConnectCount - 1), sharedGroup = settings.External.SharedGroup };
        }

        var state = brokerError is not null ? ComponentState.Failed
            : _broker is null && _external is null ? ComponentState.Disabled
            // a probe that was heard from and then lost degrades the server; one never heard from since the start (a room
            // file listing probes not installed yet) is listed offline but does not
            : offline.Any(p => p.LastSeen is not null) || (_external is { IsConnected: false }) ? ComponentState.Degraded
            : ComponentState.Ok;
        var detail = brokerError
            ?? (state == ComponentState.Disabled ? "no broker: the embedded one is off (Monitoring:Mqtt:Broker:Enabled) and no Monitoring:Mqtt:External:Url is set"
            : offline.Count > 0 ? $"{offline.Count} of {collector.DeviceIds.Count} probes offline: {string.Join(", ", offline.Select(p => p.DeviceId))}"
            : $"{stats.Online} of {collector.DeviceIds.Count} probes online; {stats.Messages} messages");
        health.Report(Component, state, detail, data);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT broker: {Address} ({Users} configured users, anonymous clients allowed: {Anonymous}); the probe collector takes {Filters} topic filters in-process")]
    private static partial void LogBroker(ILogger logger, string address, int users, bool anonymous, int filters);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker {Address}: no users are configured and anonymous clients are refused, so no probe can sign in but the demo's simulated ones. Set Monitoring:Mqtt:Broker:Users:0:Username and Monitoring:Mqtt:Broker:Users:0:Password (the password e.g. from the environment variable Monitoring__Mqtt__Broker__Users__0__Password), or Monitoring:Mqtt:Broker:AllowAnonymous=true")]
    private static partial void LogNoUsers(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT broker: user {User} has no password and cannot sign in: set Monitoring:Mqtt:Broker:Users:{Index}:Password")]
    private static partial void LogUserWithoutPassword(ILogger logger, string user, int index);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT broker: user {User} may publish only under its own prefix {User}/# (set Monitoring:Mqtt:Broker:Users:{Index}:Publish:0 to a topic filter such as site/ROOM/probe/DEVICE/#) and subscribe to nothing unless Users:{Index}:Subscribe:0 is set")]
    private static partial void LogUserOwnPrefix(ILogger logger, string user, int index);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT port {Port} is taken: the embedded broker listens on a free port instead (set Monitoring:Mqtt:Broker:Port)")]
    private static partial void LogPortTaken(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "The embedded MQTT broker could not start on port {Port}")]
    private static partial void LogBrokerFailed(ILogger logger, Exception exception, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT: subscribing to the external broker {Url} (shared group {Group})")]
    private static partial void LogExternal(ILogger logger, string url, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT: subscribed to {Count} topic filters on the external broker ({Codes})")]
    private static partial void LogSubscribed(ILogger logger, int count, string codes);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT: the external broker subscription stopped")]
    private static partial void LogExternalFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT probe not served: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT simulation: {Probes} probes publishing every {Seconds} s")]
    private static partial void LogDemo(ILogger logger, int probes, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT simulation not started: no broker to publish to")]
    private static partial void LogNoDemoBroker(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT simulation could not connect its probes")]
    private static partial void LogDemoFailed(ILogger logger, Exception exception);
}

/// <summary><c>Monitoring:Mqtt</c>: the embedded broker and an external one.</summary>
public sealed class MqttOptions
{
    public MqttBrokerSettings Broker { get; set; } = new();

    public MqttExternalSettings External { get; set; } = new();
}

/// <summary><c>Monitoring:Mqtt:Broker</c>: the embedded broker, on by default.</summary>
public sealed class MqttBrokerSettings
{
    public bool Enabled { get; set; } = true;

    /// <summary>1883 by default (a free port instead when another program holds it); 0 = any free port.</summary>
    public int Port { get; set; } = MqttService.DefaultPort;

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

    public int LockoutMinutes { get; set; } = 15;
}

/// <summary><c>Monitoring:Mqtt:External</c>: subscribe to a site broker (mosquitto, EMQX) instead of, or as well as, the embedded one.</summary>
public sealed class MqttExternalSettings
{
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
}
