using System.Text;
using Microsoft.Extensions.Logging;
using Monitoring.Core.Inventory;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>What became of one message.</summary>
public enum ProbeMessageOutcome
{
    /// <summary>The payload's values went to the pipeline.</summary>
    Accepted,

    /// <summary>The probe's last will (or its offline status): it is now offline.</summary>
    Offline,

    /// <summary>The probe's "birth" status: it is online, no values.</summary>
    Online,

    /// <summary>No profile topic matches.</summary>
    UnknownTopic,

    /// <summary>A topic matches, but names no device of the room that uses this profile.</summary>
    UnknownDevice,

    /// <summary>The payload cannot be read in the topic's format.</summary>
    BadPayload,
}

/// <summary>Where a probe stands.</summary>
public enum ProbeLiveness
{
    /// <summary>Not heard from since the collector started, and still within its staleness limit.</summary>
    Unknown,
    Online,
    Offline,
}

/// <summary>One probe as /healthz shows it.</summary>
public sealed record ProbeStatus(string DeviceId, string Profile, ProbeLiveness State, DateTimeOffset? LastSeen, string? Reason, long Messages);

/// <summary>The collector's counters since it started.</summary>
public sealed record ProbeCollectorStats(
    long Messages, long Accepted, long Samples, long UnknownTopics, long UnknownDevices, long BadPayloads, long Wills, long Dropped, int Online, int Offline, int Unknown);

/// <summary>
/// Turns MQTT messages (topic, payload), from the embedded broker in-process or from a client subscribed to an external
/// broker, into samples of the room's probes, by their profiles of device-profiles/mqtt/. A device takes part when its
/// <c>profile</c> is "mqtt/...". A probe silent longer than its profile's staleness limit, or whose last will arrives,
/// is offline: its <see cref="OnlineMetric"/> series turns 0 (the model's states make that "down" in the live room) and
/// <see cref="PollHealth"/> lists it as unreachable, the same place SNMP and Modbus devices that do not answer are shown.
/// Unknown topics and bad payloads are counted and logged at most once per <see cref="LogInterval"/> per kind; nothing
/// a client publishes can throw out of <see cref="Accept(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>.
/// Thread-safe. Samples are gathered and handed to the pipeline in one batch per <see cref="FlushInterval"/>.
/// </summary>
public sealed partial class ProbeCollector : IDisposable
{
    public const string CollectorName = "mqtt";
    public const string OnlineMetric = "probe.online";
    public const int MaxPendingSamples = 100_000;
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan StalenessCheckInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly SeriesRegistry _registry;
    private readonly ISampleSink _sink;
    private readonly SemaphoreSlim _flushing = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PollHealth? _health;
    private readonly Route[] _routes;
    private readonly ProbeState[] _probes;
    private readonly Dictionary<string, ProbeState>.AlternateLookup<ReadOnlySpan<char>> _byId;
    private readonly Writer _writer;
    private readonly DateTimeOffset _started;
    private readonly RateLimitedLog _unknownTopicLog;
    private readonly RateLimitedLog _badPayloadLog;
    private SampleBatch? _pending;
    private long _messages;
    private long _accepted;
    private long _samples;
    private long _unknownTopics;
    private long _unknownDevices;
    private long _badPayloads;
    private long _wills;
    private long _dropped;

    public ProbeCollector(
        Inventory inventory,
        SeriesRegistry registry,
        IReadOnlyDictionary<string, ProbeProfile> profiles,
        ISampleSink sink,
        TimeProvider time,
        ILogger logger,
        PollHealth? health = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _registry = registry;
        _sink = sink;
        _time = time;
        _logger = logger;
        _health = health;
        _started = time.GetUtcNow();
        _unknownTopicLog = new RateLimitedLog(time);
        _badPayloadLog = new RateLimitedLog(time);
        _writer = new Writer(this);

        var problems = new List<string>();
        var probes = new List<ProbeState>();
        var byId = new Dictionary<string, ProbeState>(StringComparer.Ordinal);
        foreach (var device in inventory.Devices)
        {
            if (device.Training || device.Profile is not { } profileId || !profileId.StartsWith(ProbeProfileLoader.IdPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (!profiles.TryGetValue(profileId, out var profile))
            {
                problems.Add($"{device.Id}: no MQTT profile '{profileId}' (known: {string.Join(", ", profiles.Keys)})");
                continue;
            }

            var state = new ProbeState(device, profile, registry.GetOrAdd(device.Index, OnlineMetric, -1));
            probes.Add(state);
            byId[device.Id] = state;
            CheckMetrics(device, profile, problems);
        }

        _probes = [.. probes];
        _byId = byId.GetAlternateLookup<ReadOnlySpan<char>>();

        var used = probes.Select(p => p.Profile).Distinct().OrderBy(p => p.Id, StringComparer.Ordinal).ToList();
        var routes = new List<Route>();
        foreach (var profile in used)
        {
            if (profile.LastWill is { } will)
            {
                routes.Add(new Route(profile, will.Pattern, will.Device, null, will, Fixed(will.Device, profile, byId, problems)));
            }

            foreach (var topic in profile.Topics)
            {
                routes.Add(new Route(profile, topic.Pattern, topic.Device, topic, null, Fixed(topic.Device, profile, byId, problems)));
            }
        }

        _routes = [.. routes];
        Problems = problems;
        SubscriptionFilters = [.. routes.Select(r => r.Pattern.SubscriptionFilter).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Devices that name an MQTT profile but cannot be served as written, in plain words.</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>The MQTT topic filters to subscribe to, to receive every topic of every profile in use.</summary>
    public IReadOnlyList<string> SubscriptionFilters { get; }

    /// <summary>The probes this collector serves.</summary>
    public IReadOnlyList<string> DeviceIds => [.. _probes.Select(p => p.Device.Id)];

    /// <summary>Takes one message. Never throws for anything a client can publish.</summary>
    public ProbeMessageOutcome Accept(string topic, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Span<byte> buffer = stackalloc byte[512];
        var bytes = Encoding.UTF8.GetMaxByteCount(topic.Length) <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetByteCount(topic)];
        var length = Encoding.UTF8.GetBytes(topic, bytes);
        return Accept(bytes[..length], payload);
    }

    /// <summary>Takes one message: <paramref name="topic"/> as UTF-8. Never throws for anything a client can publish.</summary>
    public ProbeMessageOutcome Accept(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> payload)
    {
        Span<Range> captures = stackalloc Range[TopicPattern.MaxCaptures];
        lock (_gate)
        {
            _messages++;
            var now = _time.GetUtcNow();
            foreach (var route in _routes)
            {
                if (!route.Pattern.TryMatch(topic, captures))
                {
                    continue;
                }

                if (Resolve(route, topic, captures) is not { } probe)
                {
                    _unknownDevices++;
                    if (_unknownTopicLog.ShouldLog(out var suppressed))
                    {
                        LogUnknownDevice(_logger, Encoding.UTF8.GetString(topic), route.Pattern.Text, suppressed);
                    }

                    return ProbeMessageOutcome.UnknownDevice;
                }

                probe.Messages++;
                if (route.Will is { } will)
                {
                    if (payload.SequenceEqual(will.OfflinePayload))
                    {
                        _wills++;
                        MarkOffline(probe, now, "its last will arrived: the probe lost its connection");
                        return ProbeMessageOutcome.Offline;
                    }

                    if (will.OnlinePayload is { } online && payload.SequenceEqual(online))
                    {
                        MarkSeen(probe, now);
                        return ProbeMessageOutcome.Online;
                    }

                    return BadPayload(probe, topic, "the status payload is neither the profile's offline nor its online word");
                }

                _writer.Probe = probe;
                var before = _pending?.Count ?? 0;
                var count = ProbePayloadParser.Parse(route.Topic!, payload, ToNs(now), _writer, out var error);
                if (count < 0)
                {
                    return BadPayload(probe, topic, error ?? "unreadable payload");
                }

                _accepted++;
                _samples += (_pending?.Count ?? 0) - before;
                MarkSeen(probe, now);
                return ProbeMessageOutcome.Accepted;
            }

            _unknownTopics++;
            if (_unknownTopicLog.ShouldLog(out var skipped))
            {
                LogUnknownTopic(_logger, Encoding.UTF8.GetString(topic), skipped);
            }

            return ProbeMessageOutcome.UnknownTopic;
        }
    }

    /// <summary>Marks every probe silent longer than its profile's staleness limit offline (those not heard since start count from the start).</summary>
    public void CheckStaleness()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var probe in _probes)
            {
                if (probe.State == ProbeLiveness.Offline)
                {
                    continue;
                }

                var since = probe.LastSeen ?? _started;
                if (now - since > probe.Profile.Staleness)
                {
                    MarkOffline(
                        probe,
                        now,
                        probe.LastSeen is null
                            ? $"not heard from since the collector started ({(now - _started).TotalSeconds:0} s; limit {probe.Profile.Staleness.TotalSeconds:0} s)"
                            : $"silent for {(now - since).TotalSeconds:0} s (limit {probe.Profile.Staleness.TotalSeconds:0} s)");
                }
            }
        }
    }

    /// <summary>Hands the samples gathered so far to the pipeline.</summary>
    /// <remarks>
    /// One flush at a time: when it returns, every sample of a message accepted before the call is in the pipeline
    /// (handed over by this flush or by the one it waited for), which is when an external broker's message is acknowledged.
    /// </remarks>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        await _flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SampleBatch? batch;
            lock (_gate)
            {
                batch = _pending;
                _pending = null;
            }

            if (batch is null)
            {
                return;
            }

            if (batch.Count == 0)
            {
                batch.Dispose();
                return;
            }

            await _sink.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    /// <summary>Flushes every <see cref="FlushInterval"/> and checks staleness every <see cref="StalenessCheckInterval"/> until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, _time);
        var lastCheck = _time.GetUtcNow();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = _time.GetUtcNow();
                if (now - lastCheck >= StalenessCheckInterval)
                {
                    lastCheck = now;
                    CheckStaleness();
                }

                await FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public ProbeCollectorStats Stats()
    {
        lock (_gate)
        {
            return new ProbeCollectorStats(
                _messages, _accepted, _samples, _unknownTopics, _unknownDevices, _badPayloads, _wills, _dropped,
                _probes.Count(p => p.State == ProbeLiveness.Online),
                _probes.Count(p => p.State == ProbeLiveness.Offline),
                _probes.Count(p => p.State == ProbeLiveness.Unknown));
        }
    }

    public IReadOnlyList<ProbeStatus> Probes()
    {
        lock (_gate)
        {
            return [.. _probes.Select(p => new ProbeStatus(p.Device.Id, p.Profile.Id, p.State, p.LastSeen, p.Reason, p.Messages))];
        }
    }

    public ProbeStatus? Probe(string deviceId)
    {
        lock (_gate)
        {
            return _byId.Dictionary.TryGetValue(deviceId, out var p) ? new ProbeStatus(p.Device.Id, p.Profile.Id, p.State, p.LastSeen, p.Reason, p.Messages) : null;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _pending?.Dispose();
            _pending = null;
        }

        _flushing.Dispose();
    }

    private static long ToNs(DateTimeOffset at) => (at - DateTimeOffset.UnixEpoch).Ticks * 100;

    private static ProbeState? Fixed(DeviceBinding binding, ProbeProfile profile, Dictionary<string, ProbeState> byId, List<string> problems)
    {
        if (binding.FixedDeviceId is not { } id)
        {
            return null;
        }

        if (!byId.TryGetValue(id, out var state) || !ReferenceEquals(state.Profile, profile))
        {
            problems.Add($"{profile.Id}: fixed device '{id}' is not a device of the room with profile '{profile.Id}'");
            return null;
        }

        return state;
    }

    /// <summary>
    /// One profile may serve several kinds of probe (a leak rope, a smoke detector): each takes the values its model
    /// declares and leaves the others. A device whose model declares none of the profile's mapped metrics is a problem.
    /// </summary>
    private static void CheckMetrics(Device device, ProbeProfile profile, List<string> problems)
    {
        var mapped = profile.Topics.SelectMany(t => t.Values).ToList();
        var lineProtocol = profile.Topics.Any(t => t.Format == ProbePayloadFormat.LineProtocol && t.Values.Count == 0);
        if (!lineProtocol && mapped.Count > 0 && mapped.All(v => device.Model.FindMetric(v.Metric) is null))
        {
            problems.Add($"{device.Id}: {profile.Id} maps none of the metrics model '{device.Model.Id}' declares ({string.Join(", ", device.Model.Metrics.Select(m => m.Name))})");
        }

        foreach (var value in mapped)
        {
            if (value.Unit is { } unit && device.Model.FindMetric(value.Metric) is { } metric && Units.Conversion(unit, metric.Unit) is null)
            {
                problems.Add($"{device.Id}: {profile.Id} sends '{value.Metric}' in {unit}, model '{device.Model.Id}' declares {metric.Unit}, and there is no conversion");
            }
        }

        if (device.Model.FindMetric(OnlineMetric) is null)
        {
            problems.Add($"{device.Id}: model '{device.Model.Id}' does not declare '{OnlineMetric}', so an offline probe is listed in /healthz but not shown down in the room");
        }
    }

    private ProbeState? Resolve(Route route, ReadOnlySpan<byte> topic, ReadOnlySpan<Range> captures)
    {
        ProbeState? probe;
        if (route.FixedProbe is { } fixedProbe)
        {
            probe = fixedProbe;
        }
        else if (route.Device.Capture < 0)
        {
            return null;
        }
        else
        {
            var id = topic[captures[route.Device.Capture]];
            Span<char> chars = stackalloc char[128];
            if (id.Length > chars.Length || !Encoding.UTF8.TryGetChars(id, chars, out var length) || !_byId.TryGetValue(chars[..length], out probe))
            {
                return null;
            }
        }

        if (!ReferenceEquals(probe.Profile, route.Profile))
        {
            return null;
        }

        // a {room} capture must name the probe's room: site/demo/probe/leak-1 is not site/other/probe/leak-1
        if (route.RoomCapture >= 0)
        {
            var room = topic[captures[route.RoomCapture]];
            Span<char> chars = stackalloc char[128];
            if (room.Length > chars.Length || !Encoding.UTF8.TryGetChars(room, chars, out var length)
                || !chars[..length].SequenceEqual(probe.Device.RoomId))
            {
                return null;
            }
        }

        return probe;
    }

    private ProbeMessageOutcome BadPayload(ProbeState probe, ReadOnlySpan<byte> topic, string reason)
    {
        _badPayloads++;
        if (_badPayloadLog.ShouldLog(out var suppressed))
        {
            LogBadPayload(_logger, Encoding.UTF8.GetString(topic), probe.Device.Id, reason, suppressed);
        }

        return ProbeMessageOutcome.BadPayload;
    }

    private void MarkSeen(ProbeState probe, DateTimeOffset now)
    {
        probe.LastSeen = now;
        if (probe.State == ProbeLiveness.Online)
        {
            return;
        }

        var wasOffline = probe.State == ProbeLiveness.Offline;
        probe.State = ProbeLiveness.Online;
        probe.Reason = null;
        Add(probe.OnlineSeries, ToNs(now), 1);
        _health?.Record(CollectorName, probe.Device.Id, now, TimeSpan.Zero, TimeSpan.Zero, PollResult.Success(1));
        if (wasOffline)
        {
            LogOnline(_logger, probe.Device.Id);
        }
    }

    private void MarkOffline(ProbeState probe, DateTimeOffset now, string reason)
    {
        if (probe.State == ProbeLiveness.Offline)
        {
            return;
        }

        probe.State = ProbeLiveness.Offline;
        probe.Reason = reason;
        Add(probe.OnlineSeries, ToNs(now), 0);
        _health?.Record(CollectorName, probe.Device.Id, now, TimeSpan.Zero, TimeSpan.Zero, PollResult.Failure(PollOutcome.Unreachable, reason));
        LogOffline(_logger, probe.Device.Id, reason);
    }

    private void Add(int seriesId, long ns, double value)
    {
        var batch = _pending ??= SampleBatch.Rent(256);
        if (batch.Count >= MaxPendingSamples)
        {
            _dropped++;
            return;
        }

        batch.Add(seriesId, ns, value);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} matches no probe profile topic ({Suppressed} more since the last such message)")]
    private static partial void LogUnknownTopic(ILogger logger, string topic, long suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} matches {Pattern} but names no probe of the room with that profile ({Suppressed} more since the last such message)")]
    private static partial void LogUnknownDevice(ILogger logger, string topic, string pattern, long suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} for {Device} refused: {Reason} ({Suppressed} more bad payloads since the last such message)")]
    private static partial void LogBadPayload(ILogger logger, string topic, string device, string reason, long suppressed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Probe {Device} is offline: {Reason}")]
    private static partial void LogOffline(ILogger logger, string device, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Probe {Device} is online again")]
    private static partial void LogOnline(ILogger logger, string device);

    private sealed class ProbeState(Device device, ProbeProfile profile, int onlineSeries)
    {
        public Device Device { get; } = device;

        public ProbeProfile Profile { get; } = profile;

        public int OnlineSeries { get; } = onlineSeries;

        public ProbeLiveness State { get; set; }

        public DateTimeOffset? LastSeen { get; set; }

        public string? Reason { get; set; }

        public long Messages { get; set; }

        /// <summary>The profile's values this probe's model declares, each with its unit conversion (built once).</summary>
        public Dictionary<ProbeValue, Func<double, double>> Accepts { get; } = BuildAccepts(device, profile);

        private static Dictionary<ProbeValue, Func<double, double>> BuildAccepts(Device device, ProbeProfile profile)
        {
            var accepts = new Dictionary<ProbeValue, Func<double, double>>(ReferenceEqualityComparer.Instance);
            foreach (var value in profile.Topics.SelectMany(t => t.Values))
            {
                if (device.Model.FindMetric(value.Metric) is { } definition)
                {
                    accepts[value] = (value.Unit is { } unit ? Units.Conversion(unit, definition.Unit) : null) ?? Identity;
                }
            }

            return accepts;
        }

        private static double Identity(double value) => value;
    }

    private sealed class Route(ProbeProfile profile, TopicPattern pattern, DeviceBinding device, ProbeTopic? topic, ProbeLastWill? will, ProbeState? fixedProbe)
    {
        public ProbeProfile Profile { get; } = profile;

        public TopicPattern Pattern { get; } = pattern;

        public DeviceBinding Device { get; } = device;

        public ProbeTopic? Topic { get; } = topic;

        public ProbeLastWill? Will { get; } = will;

        public ProbeState? FixedProbe { get; } = fixedProbe;

        public int RoomCapture { get; } = pattern.CaptureIndex("room");
    }

    /// <summary>Adds a payload's values to the pending batch, on the probe being handled (called under the lock).</summary>
    private sealed class Writer(ProbeCollector owner) : IProbeValueSink
    {
        public ProbeState Probe { get; set; } = null!;

        public void Add(ReadOnlySpan<char> metric, ProbeValue? value, double number, long timestampNs)
        {
            if (!double.IsFinite(number))
            {
                return;
            }

            if (value is not null)
            {
                // a value the profile maps but this probe's model does not declare belongs to another kind of probe
                if (!Probe.Accepts.TryGetValue(value, out var convert))
                {
                    return;
                }

                number = convert(number);
            }

            owner.Add(owner._registry.GetOrAdd(Probe.Device.Index, metric, -1), timestampNs, number);
        }
    }

    /// <summary>At most one log line per interval; counts the ones held back.</summary>
    private sealed class RateLimitedLog(TimeProvider time)
    {
        private DateTimeOffset _last = DateTimeOffset.MinValue;
        private long _suppressed;

        public bool ShouldLog(out long suppressed)
        {
            var now = time.GetUtcNow();
            if (_last != DateTimeOffset.MinValue && now - _last < LogInterval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _last = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
