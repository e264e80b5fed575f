using System.Net;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Collectors.Hosting;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Api;
using Monitoring.Server.Security;
using StackExchange.Redis;

namespace Monitoring.Server.Cluster;

/// <summary>
/// Samples between the nodes of a cluster. Only the alarm leader's pipeline evaluates and stores (its alarm engine, its
/// history, its InfluxDB/VictoriaMetrics writer); so that every node's consoles still see every value:
/// <list type="bullet">
/// <item>the polling collectors run on the leader only (<see cref="ClusterPlacement"/>), line-protocol writes reaching a
/// standby are forwarded to the leader (<see cref="LeaderForwarding"/>), and what a standby's listening collectors receive
/// (its share of the MQTT shared subscription, traps) is posted to the leader's <see cref="Path"/> (<see cref="LeaderSink"/>),
/// acknowledged to the broker only once the leader has it;</item>
/// <item>the leader publishes every batch it processed on the Redis channel <c>&lt;prefix&gt;:samples</c>; the other nodes
/// apply it to their live state only (<see cref="SampleMirror"/>), so a console on any node shows every value and status.</item>
/// </list>
/// </summary>
internal static partial class ClusterSamples
{
    public const string Path = "/api/cluster/samples";

    public const string Component = "clusterSamples";

    /// <summary>The largest frame a node posts (a standby's MQTT batch is at most 1,000 messages).</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    public static void Map(RouteGroupBuilder secured)
    {
        if (((IEndpointRouteBuilder)secured).ServiceProvider.GetService<IAlarmLeadership>() is not AlarmLeadership)
        {
            return;
        }

        secured.MapPost(Path, Receive).WithName("ClusterSamples").WithTags("Cluster").Requires(Capability.WriteSamples).SkipAudit()
            .WithSummary("Node to node (Authorization: Node ...): a standby's MQTT and trap batches, in the leader's pipeline before the 204 (binary sample frame, see docs/DEPLOYMENT.md).");
    }

    private static async Task<Results<NoContent, Problem<Status400>, Problem<Status413>, Problem<Status415>, Problem<Status503>>> Receive(
        HttpContext context, SamplePipeline pipeline, SeriesRegistry registry, Inventory inventory, ClusterSampleStats stats, IAlarmLeadership leadership,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!leadership.IsLeader)
        {
            // only the leader's engine would see them: the sender retries until it reaches the leader
            return new Problem<Status503>("not the alarm leader", "this node is a standby: send the batch to the alarm leader");
        }

        var body = await Ingest.IngestEndpoints.ReadBodyAsync(context.Request, MaxBodyBytes, "a sample frame's bound", cancellationToken).ConfigureAwait(false);
        SampleBatch batch;
        SampleSource source;
        int skipped;
        try
        {
            switch (body.Status)
            {
                case StatusCodes.Status413PayloadTooLarge:
                    return new Problem<Status413>("sample frame too large", body.Message);
                case StatusCodes.Status415UnsupportedMediaType:
                    return new Problem<Status415>("sample frame encoding not supported", body.Message);
                case not 0:
                    return new Problem<Status400>("malformed sample frame", body.Message);
            }

            batch = SampleFrame.Decode(body.Memory.Span, registry, inventory, out source, out skipped);
        }
        catch (FormatException ex)
        {
            stats.Rejected();
            LogRejected(loggers.CreateLogger(typeof(ClusterSamples)), Principals.Name(context.User), ex.Message);
            return new Problem<Status400>("malformed sample frame", ex.Message);
        }
        finally
        {
            body.Return();
        }

        if (!Enum.IsDefined(source))
        {
            batch.Dispose();
            return new Problem<Status400>("malformed sample frame", $"unknown sample source {(int)source}");
        }

        var count = batch.Count;
        await pipeline.From(source).WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        stats.Received(count, skipped);
        return TypedResults.NoContent();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster: a sample frame from {Node} was refused: {Reason}")]
    private static partial void LogRejected(ILogger logger, string node, string reason);
}

/// <summary>
/// The counters of <see cref="ClusterSamples"/>, shown in /healthz <c>clusterSamples</c>; samples left out because this
/// node's rooms lack their device are also logged (at most every 10 s, with the running total).
/// </summary>
internal sealed partial class ClusterSampleStats(TimeProvider time, ILogger<ClusterSampleStats> logger)
{
    private long _lastSkipLog;
    private long _mirrorPublished;
    private long _mirrorPublishedSamples;
    private long _mirrorDropped;
    private long _mirrorApplied;
    private long _mirrorAppliedSamples;
    private long _mirrorSkippedSeries;
    private long _forwarded;
    private long _forwardedSamples;
    private long _forwardRetries;
    private long _forwardRefused;
    private long _received;
    private long _receivedSamples;
    private long _receivedSkipped;
    private long _rejected;

    public string? LastForwardError { get; set; }

    public long MirrorDropped => Interlocked.Read(ref _mirrorDropped);

    public long ForwardRefused => Interlocked.Read(ref _forwardRefused);

    public void Published(int samples)
    {
        Interlocked.Increment(ref _mirrorPublished);
        Interlocked.Add(ref _mirrorPublishedSamples, samples);
    }

    public void MirrorDrop() => Interlocked.Increment(ref _mirrorDropped);

    public void Applied(int samples, int skipped)
    {
        Interlocked.Increment(ref _mirrorApplied);
        Interlocked.Add(ref _mirrorAppliedSamples, samples);
        Skipped(ref _mirrorSkippedSeries, skipped, "mirrored from the leader");
    }

    public void Forwarded(int samples)
    {
        Interlocked.Increment(ref _forwarded);
        Interlocked.Add(ref _forwardedSamples, samples);
        LastForwardError = null;
    }

    public void Retry(string error)
    {
        Interlocked.Increment(ref _forwardRetries);
        LastForwardError = error;
    }

    public void Refused(string error)
    {
        Interlocked.Increment(ref _forwardRefused);
        LastForwardError = error;
    }

    public void Received(int samples, int skipped)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Add(ref _receivedSamples, samples);
        Skipped(ref _receivedSkipped, skipped, "forwarded by a standby");
    }

    public void Rejected() => Interlocked.Increment(ref _rejected);

    private void Skipped(ref long counter, int skipped, string how)
    {
        if (skipped == 0)
        {
            return;
        }

        var total = Interlocked.Add(ref counter, skipped);
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastSkipLog);
        if ((last == 0 || time.GetElapsedTime(last, now) > TimeSpan.FromSeconds(10)) && Interlocked.CompareExchange(ref _lastSkipLog, now, last) == last)
        {
            LogSkipped(logger, skipped, how, total);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: {Skipped} samples {How} left out: their device is not in this node's rooms ({Total} so far; every node needs the same room files)")]
    private static partial void LogSkipped(ILogger logger, int skipped, string how, long total);

    public Dictionary<string, object?> Data() => new(StringComparer.Ordinal)
    {
        ["mirrorPublishedBatches"] = Interlocked.Read(ref _mirrorPublished),
        ["mirrorPublishedSamples"] = Interlocked.Read(ref _mirrorPublishedSamples),
        ["mirrorDropped"] = Interlocked.Read(ref _mirrorDropped),
        ["mirrorAppliedBatches"] = Interlocked.Read(ref _mirrorApplied),
        ["mirrorAppliedSamples"] = Interlocked.Read(ref _mirrorAppliedSamples),
        ["mirrorUnknownSeries"] = Interlocked.Read(ref _mirrorSkippedSeries),
        ["forwardedBatches"] = Interlocked.Read(ref _forwarded),
        ["forwardedSamples"] = Interlocked.Read(ref _forwardedSamples),
        ["forwardRetries"] = Interlocked.Read(ref _forwardRetries),
        ["forwardRefused"] = Interlocked.Read(ref _forwardRefused),
        ["lastForwardError"] = LastForwardError,
        ["receivedBatches"] = Interlocked.Read(ref _received),
        ["receivedSamples"] = Interlocked.Read(ref _receivedSamples),
        ["receivedUnknownSeries"] = Interlocked.Read(ref _receivedSkipped),
        ["rejectedFrames"] = Interlocked.Read(ref _rejected),
    };
}

/// <summary>
/// The leader's samples into every other node's live state: an observer of this node's pipeline publishes each batch it
/// processed (never a mirrored one) on <c>&lt;prefix&gt;:samples</c>; every node applies the others' frames to its live
/// state as a <see cref="SampleBatch.Mirrored"/> batch. Pub/sub is at most once, like the hub bus: a frame published while
/// Redis is unreachable is counted as dropped (/healthz, log); the console's next value replaces it.
/// </summary>
internal sealed partial class SampleMirror(
    RedisConnection redis, ClusterOptions options, SamplePipeline pipeline, SeriesRegistry registry, Inventory inventory, ClusterSampleStats stats,
    ComponentHealth health, TimeProvider time, ILogger<SampleMirror> logger) : BackgroundService, ISampleObserver
{
    private readonly RedisChannel _channel = RedisChannel.Literal(options.Prefix + ":samples");
    private readonly byte[] _node = Guid.NewGuid().ToByteArray();
    private readonly SampleFrame.Scratch _scratch = new();
    private long _lastDropLog;
    private volatile bool _subscribed;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        pipeline.AddObserver(this);
        return base.StartAsync(cancellationToken);
    }

    /// <summary>On the pipeline's consumer thread: one frame per batch, published without waiting.</summary>
    public void OnSamples(ReadOnlySpan<Sample> samples)
    {
        try
        {
            var frame = SampleFrame.Encode(SampleSource.Cluster, samples, null, registry, inventory, _scratch, _node);
            redis.Multiplexer.GetSubscriber().Publish(_channel, frame, CommandFlags.FireAndForget);
            stats.Published(samples.Length);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            stats.MirrorDrop();
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(Interlocked.Read(ref _lastDropLog), now) > TimeSpan.FromSeconds(10))
            {
                Interlocked.Exchange(ref _lastDropLog, now);
                LogMirrorDropped(logger, stats.MirrorDropped, ex.Message);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2), time);
        try
        {
            do
            {
                if (!_subscribed)
                {
                    await SubscribeAsync(stoppingToken).ConfigureAwait(false);
                }

                Report();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task SubscribeAsync(CancellationToken stoppingToken)
    {
        try
        {
            var queue = await redis.Multiplexer.GetSubscriber().SubscribeAsync(_channel).ConfigureAwait(false);
            queue.OnMessage(message => ApplyAsync(message, stoppingToken));
            _subscribed = true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSubscribeFailed(logger, ex.Message);
        }
    }

    private async Task ApplyAsync(ChannelMessage message, CancellationToken stoppingToken)
    {
        try
        {
            byte[] frame = message.Message!;
            if (frame.Length < _node.Length || frame.AsSpan(0, _node.Length).SequenceEqual(_node))
            {
                return; // this node's own
            }

            var batch = SampleFrame.Decode(frame.AsSpan(_node.Length), registry, inventory, out _, out var skipped);
            batch.Mirrored = true;
            batch.Source = SampleSource.Cluster;
            var count = batch.Count;
            await pipeline.WriteAsync(batch, stoppingToken).ConfigureAwait(false);
            stats.Applied(count, skipped);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (FormatException ex)
        {
            stats.MirrorDrop();
            LogMirrorRefused(logger, ex.Message);
        }
    }

    private void Report()
    {
        var data = stats.Data();
        data["subscribed"] = _subscribed;
        var forwarding = stats.LastForwardError;
        health.Report(
            ClusterSamples.Component,
            _subscribed && forwarding is null ? ComponentState.Ok : ComponentState.Degraded,
            !_subscribed ? "not subscribed to the other nodes' samples: this node's consoles miss the leader's values"
            : forwarding is not null ? "forwarding to the alarm leader is retrying: " + forwarding
            : $"{data["mirrorPublishedSamples"]} samples mirrored to the other nodes, {data["mirrorAppliedSamples"]} mirrored from them, {data["forwardedSamples"]} forwarded to the leader",
            data);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: {Dropped} sample frames for the other nodes' consoles dropped so far ({Reason})")]
    private static partial void LogMirrorDropped(ILogger logger, long dropped, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster: a mirrored sample frame was refused: {Reason}")]
    private static partial void LogMirrorRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: could not subscribe to the other nodes' samples ({Reason}); trying again")]
    private static partial void LogSubscribeFailed(ILogger logger, string reason);
}

/// <summary>
/// A cluster node's collectors: the polling ones start when the node becomes the alarm leader; the listening ones write
/// through a <see cref="LeaderSink"/>.
/// </summary>
internal sealed class ClusterPlacement(AlarmLeadership leadership, ClusterNodeCredentials credentials, SeriesRegistry registry, Inventory inventory, ClusterSampleStats stats, TimeProvider time, ILoggerFactory loggers)
    : ICollectorPlacement
{
    public string WaitingDetail => "standby: the alarm leader node polls; this node polls once it becomes the leader";

    public Task WhenPollingAsync(CancellationToken cancellationToken) => leadership.WhenLeaderAsync(cancellationToken);

    public ISampleSink ListenerSink(SampleSource source, ISampleSink local) =>
        new LeaderSink(source, local, leadership, credentials, registry, inventory, stats, time, loggers.CreateLogger<LeaderSink>());
}

/// <summary>
/// A listening collector's sink on a cluster node: its own pipeline while the node leads; on a standby each batch is
/// posted to the leader's <see cref="ClusterSamples.Path"/> and the write completes only on the leader's 2xx. With no
/// leader known, or the leader not answering, it retries with backoff (0.2 s to 5 s) until the leader (maybe this node,
/// after a takeover) takes the batch, so nothing is acknowledged to a broker that no engine has seen. A frame the leader
/// refuses as malformed (400) cannot succeed by retrying: it is counted and logged as refused.
/// </summary>
internal sealed partial class LeaderSink(
    SampleSource source, ISampleSink local, AlarmLeadership leadership, ClusterNodeCredentials credentials, SeriesRegistry registry, Inventory inventory,
    ClusterSampleStats stats, TimeProvider time, ILogger<LeaderSink> logger) : ISampleSink
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly SampleFrame.Scratch _scratch = new();
    private long _lastLog;

    public async ValueTask WriteAsync(SampleBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (leadership.IsLeader)
        {
            await local.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
            return;
        }

        byte[] frame;
        try
        {
            lock (_scratch)
            {
                frame = SampleFrame.Encode(source, batch.Samples, batch.Events, registry, inventory, _scratch);
            }
        }
        catch
        {
            batch.Dispose();
            throw;
        }

        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            if (leadership.IsLeader)
            {
                await local.WriteAsync(batch, cancellationToken).ConfigureAwait(false); // taken over while retrying
                return;
            }

            string? error;
            try
            {
                error = await SendAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                batch.Dispose();
                throw;
            }

            if (error is null)
            {
                stats.Forwarded(batch.Count);
                batch.Dispose();
                return;
            }

            if (error.StartsWith("400", StringComparison.Ordinal))
            {
                stats.Refused(error);
                LogRefused(logger, batch.Count, error);
                batch.Dispose();
                return;
            }

            stats.Retry(error);
            var now = time.GetTimestamp();
            if (time.GetElapsedTime(_lastLog, now) > TimeSpan.FromSeconds(10))
            {
                _lastLog = now;
                LogRetrying(logger, batch.Count, error);
            }

            try
            {
                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                batch.Dispose();
                throw;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
        }
    }

    /// <summary>Null when the leader has the batch; else why not ("400 ..." for a refusal that retrying cannot fix).</summary>
    private async Task<string?> SendAsync(byte[] frame, CancellationToken cancellationToken)
    {
        var leader = await leadership.LeaderUrlAsync().ConfigureAwait(false);
        if (leader is null)
        {
            return "no alarm leader known";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(leader + ClusterSamples.Path)) { Content = new ByteArrayContent(frame) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        request.Headers.TryAddWithoutValidation("Authorization", credentials.Header());
        try
        {
            using var response = await Http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return null;
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var text = $"{(int)response.StatusCode} from {leader}: {(body.Length > 300 ? body[..300] : body)}";
            return response.StatusCode == HttpStatusCode.BadRequest ? text : "leader answered " + text;
        }
        catch (HttpRequestException ex)
        {
            return $"leader {leader} unreachable: {ex.Message}";
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"leader {leader} did not answer within {Http.Timeout.TotalSeconds:F0} s";
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: {Count} samples for the alarm leader wait ({Reason}); retrying")]
    private static partial void LogRetrying(ILogger logger, int count, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster: the alarm leader refused a batch of {Count} samples: {Reason}")]
    private static partial void LogRefused(ILogger logger, int count, string reason);
}
