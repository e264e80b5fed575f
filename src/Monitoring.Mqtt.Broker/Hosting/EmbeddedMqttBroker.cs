using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Mqtt.Hosting;

namespace Monitoring.Mqtt.Broker.Hosting;

/// <summary>
/// The embedded broker for the life of the server (<c>Monitoring:Mqtt:Broker</c>, on by default): starts with the host,
/// on the configured port (a free one when the default 1883 is taken), with the configured users and those a plug-in
/// adds (<see cref="MqttBrokerUser"/> services: the demo's simulated probes). It is an <see cref="IMqttSource"/>: the
/// MQTT collector subscribes in-process. <see cref="Started"/> is the start gate of whatever connects to it. Refuses
/// anonymous clients unless <c>AllowAnonymous</c>; passwords are never logged.
/// </summary>
public sealed partial class EmbeddedMqttBroker(
    IOptions<MqttBrokerSettings> options, IEnumerable<MqttBrokerUser> pluginUsers, TimeProvider time, ILoggerFactory loggers) : IHostedService, IMqttSource, IAsyncDisposable
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ILogger _logger = loggers.CreateLogger<EmbeddedMqttBroker>();
    private volatile MqttBroker? _broker;

    public string Name => "broker";

    /// <summary>The broker once it listens (null when off, failed, or not started yet).</summary>
    public MqttBroker? Broker => _broker;

    /// <summary>Where it listens once started.</summary>
    public IPEndPoint? LocalEndPoint => _broker?.LocalEndPoint;

    public Task Started => _started.Task;

    public bool IsRunning => _broker is not null;

    public string? FailureReason { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            FailureReason = null;
            _started.TrySetResult();
            return;
        }

        try
        {
            var broker = await StartBrokerAsync(settings, cancellationToken).ConfigureAwait(false);
            _broker = broker;
            var configured = ConfiguredUsers(settings, _logger);
            var address = "mqtt://" + broker.LocalEndPoint;
            LogBroker(_logger, address, configured.Count, settings.AllowAnonymous);
            if (configured.Count == 0 && !settings.AllowAnonymous)
            {
                LogNoUsers(_logger, address);
            }
        }
        catch (Exception ex) when (ex is SocketException or InvalidOperationException)
        {
            FailureReason = $"the embedded broker could not start: {ex.Message}";
            LogBrokerFailed(_logger, ex, settings.Port);
        }
        finally
        {
            _started.TrySetResult();
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync().ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _broker, null) is { } broker)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    public IDisposable Subscribe(string filter, MqttMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var broker = _broker ?? throw new InvalidOperationException("the embedded broker is not running");
        return broker.SubscribeLocal(filter, m => handler(m.Topic, m.Payload.Span), maxQos: 1);
    }

    public object? HealthData()
    {
        if (_broker is not { } broker)
        {
            return null;
        }

        var b = broker.GetStats();
        return new
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

    /// <summary>The configured port; when that is the default 1883 and something else holds it, a free port instead.</summary>
    private async Task<MqttBroker> StartBrokerAsync(MqttBrokerSettings settings, CancellationToken cancellationToken)
    {
        var users = ConfiguredUsers(settings, logger: null);
        // a plug-in's users (the demo's simulated probes, whose password is made up at start and lives only in memory)
        users.AddRange(pluginUsers);

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
            LockoutDuration = TimeSpan.FromMinutes(settings.LockoutMinutes),
        };

        var broker = new MqttBroker(Options(settings.Port), loggers.CreateLogger<MqttBroker>(), time);
        try
        {
            await broker.StartAsync(cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && settings.Port == MqttBrokerSettings.DefaultPort)
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            LogPortTaken(_logger, settings.Port);
            broker = new MqttBroker(Options(0), loggers.CreateLogger<MqttBroker>(), time);
            await broker.StartAsync(cancellationToken).ConfigureAwait(false);
            return broker;
        }
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT broker: {Address} ({Users} configured users, anonymous clients allowed: {Anonymous})")]
    private static partial void LogBroker(ILogger logger, string address, int users, bool anonymous);

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
}
