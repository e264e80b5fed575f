using System.Net.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Mqtt.Hosting;

/// <summary>
/// MQTT into the live room: the <see cref="ProbeCollector"/> turns the probes' messages into samples, from every
/// <see cref="IMqttSource"/> (the embedded broker of Monitoring.Mqtt.Broker, in-process, no socket) and from an external
/// broker it subscribes to when <c>Monitoring:Mqtt:External:Url</c> is set. /healthz shows <c>mqtt</c> with the
/// sources' and the collector's counters and every offline probe; passwords are never logged or shown.
/// </summary>
public sealed partial class MqttCollector(
    Inventory inventory,
    SeriesRegistry registry,
    ProbeProfileSet profiles,
    PollHealth pollHealth,
    IOptions<MqttExternalSettings> external,
    IEnumerable<IMqttSource> sources,
    ILogger<MqttCollector> logger) : ICollector
{
    public const string ComponentName = "mqtt";
    public const int DefaultPort = 1883;

    private readonly IReadOnlyList<IMqttSource> _sources = [.. sources];
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile MqttClient? _external;
    private volatile ProbeCollector? _collector;
    private volatile bool _externalSubscribed;
    private volatile string? _externalFailure;
    private long _externalMessages;
    private long _externalUnacknowledged;
    private long _externalLastMessageTicks;

    /// <summary>The most messages taken from the external broker before their samples are flushed and they are acknowledged.</summary>
    private const int MaxExternalBatch = 1000;

    public string Component => ComponentName;

    public SampleSource Source => SampleSource.Mqtt;

    /// <summary>Runs always: with no source at all it reports itself disabled, naming both settings.</summary>
    /// <summary>Runs on every cluster node: the broker (or the device) hands its messages to any of them.</summary>
    public bool Listens => true;

    public string? DisabledReason => null;

    /// <summary>The collector once built.</summary>
    public ProbeCollector? Collector => _collector;

    /// <summary>
    /// The start gate of what publishes to a source (the demo's probes): completes once the collector has subscribed to
    /// every source that started, with the number of probes it serves.
    /// </summary>
    public Task Subscribed => _subscribed.Task;

    /// <summary>Whether the subscription to the external broker is in place (SUBACK granted every filter).</summary>
    public bool ExternalSubscribed => _externalSubscribed;

    /// <summary>Messages taken from the external broker and acknowledged to it (or found their connection gone).</summary>
    public long ExternalMessages => Interlocked.Read(ref _externalMessages);

    public async Task RunAsync(CollectorContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var stoppingToken = cancellationToken;
        var settings = external.Value;
        using var collector = new ProbeCollector(inventory, registry, profiles.Profiles, context.Pipeline, context.Time, context.Loggers.CreateLogger<ProbeCollector>(), pollHealth);
        _collector = collector;
        foreach (var problem in collector.Problems)
        {
            LogProblem(logger, problem);
        }

        var subscriptions = new List<IDisposable>();
        try
        {
            foreach (var source in _sources)
            {
                // the embedded broker starts with the host; its messages come in-process, no socket
                await source.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
                if (source.IsRunning)
                {
                    foreach (var filter in collector.SubscriptionFilters)
                    {
                        subscriptions.Add(source.Subscribe(filter, (topic, payload) => collector.Accept(topic, payload)));
                    }
                }
            }

            _subscribed.TrySetResult();
            Task externalLoop = Task.CompletedTask;
            if (!string.IsNullOrWhiteSpace(settings.Url))
            {
                _external = CreateExternalClient(settings, out var display);
                LogExternal(logger, display, string.IsNullOrEmpty(settings.SharedGroup) ? "(none)" : settings.SharedGroup);
                externalLoop = RunExternalAsync(_external, collector, settings, context.Time, stoppingToken);
            }

            var run = collector.RunAsync(stoppingToken);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), context.Time);
            do
            {
                Report(context, collector, settings);
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

            if (_external is { } client)
            {
                await client.DisposeAsync().ConfigureAwait(false);
            }

            _collector = null;
            _subscribed.TrySetResult();
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
            // a session kept by the broker (SessionExpirySeconds > 0) is resumed, also after a restart of the node
            CleanStart = settings.SessionExpirySeconds == 0,
            SessionExpiryInterval = settings.ProtocolVersion == 5 ? settings.SessionExpirySeconds : 0,
            ManualAcknowledge = true,
            Tls = tls ? new SslClientAuthenticationOptions { TargetHost = uri.Host } : null,
        });
    }

    public static bool TryParseUrl(string? url, out Uri uri, out bool tls)
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

    /// <summary>
    /// The external broker's messages into the same <see cref="ProbeCollector.Accept(string, ReadOnlySpan{byte})"/> as the
    /// embedded broker's, then acknowledged: a batch of what has arrived is accepted, flushed into the pipeline, and only
    /// then PUBACKed (the client runs with <see cref="MqttClientOptions.ManualAcknowledge"/>). The client reconnects with
    /// backoff and resubscribes by itself.
    /// </summary>
    private async Task RunExternalAsync(MqttClient client, ProbeCollector collector, MqttExternalSettings settings, TimeProvider time, CancellationToken cancellationToken)
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
            _externalSubscribed = codes.All(code => !MqttReasonCodes.IsFailure(code));
            var reader = client.Messages;
            var batch = new List<MqttMessage>(MaxExternalBatch);
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (batch.Count < MaxExternalBatch && reader.TryRead(out var message))
                {
                    collector.Accept(message.Topic, message.Payload.Span);
                    batch.Add(message);
                }

                await collector.FlushAsync(cancellationToken).ConfigureAwait(false);
                var lost = 0;
                foreach (var message in batch)
                {
                    if (!client.Acknowledge(message))
                    {
                        lost++;
                    }
                }

                Interlocked.Add(ref _externalMessages, batch.Count);
                Interlocked.Add(ref _externalUnacknowledged, lost);
                Interlocked.Exchange(ref _externalLastMessageTicks, time.GetUtcNow().UtcTicks);
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // the external broker's troubles are reported in /healthz; they must not stop the server
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _externalSubscribed = false;
            _externalFailure = ex.Message;
            LogExternalFailed(logger, ex);
        }
    }

    private void Report(CollectorContext context, ProbeCollector collector, MqttExternalSettings settings)
    {
        var brokerError = _sources.Select(source => source.FailureReason).FirstOrDefault(error => error is not null);
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
        foreach (var source in _sources)
        {
            if (source.HealthData() is { } figures)
            {
                data[source.Name] = figures;
            }
        }

        if (_external is { } external && TryParseUrl(settings.Url, out var uri, out _))
        {
            var lastTicks = Interlocked.Read(ref _externalLastMessageTicks);
            data["external"] = new
            {
                url = $"{uri.Scheme}://{uri.Host}:{uri.Port}",
                connected = external.IsConnected,
                subscribed = _externalSubscribed,
                reconnects = Math.Max(0, external.ConnectCount - 1),
                sharedGroup = string.IsNullOrEmpty(settings.SharedGroup) ? null : settings.SharedGroup,
                clientId = external.ClientId,
                messages = Interlocked.Read(ref _externalMessages),
                unacknowledged = Interlocked.Read(ref _externalUnacknowledged),
                lastMessage = lastTicks == 0 ? (DateTimeOffset?)null : new DateTimeOffset(lastTicks, TimeSpan.Zero),
                error = _externalFailure,
            };
        }

        var state = brokerError is not null ? ComponentState.Failed
            : !_sources.Any(source => source.HealthData() is not null) && _external is null ? ComponentState.Disabled
            // a probe that was heard from and then lost degrades the server; one never heard from since the start (a room
            // file listing probes not installed yet) is listed offline but does not
            : offline.Any(p => p.LastSeen is not null) || (_external is { IsConnected: false }) || (_external is not null && _externalFailure is not null) ? ComponentState.Degraded
            : ComponentState.Ok;
        var detail = brokerError
            ?? (state == ComponentState.Disabled ? "no broker: the embedded one is off (Monitoring:Mqtt:Broker:Enabled) and no Monitoring:Mqtt:External:Url is set"
            : offline.Count > 0 ? $"{offline.Count} of {collector.DeviceIds.Count} probes offline: {string.Join(", ", offline.Select(p => p.DeviceId))}"
            : $"{stats.Online} of {collector.DeviceIds.Count} probes online; {stats.Messages} messages");
        context.Report(state, detail, data);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT: subscribing to the external broker {Url} (shared group {Group})")]
    private static partial void LogExternal(ILogger logger, string url, string group);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT: subscribed to {Count} topic filters on the external broker ({Codes})")]
    private static partial void LogSubscribed(ILogger logger, int count, string codes);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT: the external broker subscription stopped")]
    private static partial void LogExternalFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT probe not served: {Problem}")]
    private static partial void LogProblem(ILogger logger, string problem);

}
