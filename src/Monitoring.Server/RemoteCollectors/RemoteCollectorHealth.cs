using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Hosting;
using Monitoring.Server.Security;

namespace Monitoring.Server.RemoteCollectors;

/// <summary>A stretch of time a zone did not report: from its last heartbeat before the gap to the first after it.</summary>
public sealed record ZoneGap(DateTimeOffset From, DateTimeOffset To, double Seconds, string Worst);

/// <summary>
/// The last heartbeat of each remote collector zone, and the gaps between heartbeats that ran late or lost. Kept in
/// <c>DATA/collectors.json</c> (replaced on each heartbeat) so that a server that was down itself still sees, when it is
/// back, how long each zone went without contact. /healthz shows it (<see cref="Describe"/>).
/// </summary>
public sealed partial class RemoteCollectorHealth
{
    private const int GapsKept = 10;
    private readonly ConcurrentDictionary<string, ZoneRecord> _zones = new(StringComparer.Ordinal);
    private readonly CollectorOptions _options;
    private readonly TokenDirectory _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger<RemoteCollectorHealth> _logger;
    private readonly string _file;
    private readonly Lock _saveGate = new();

    public RemoteCollectorHealth(
        IOptions<CollectorOptions> options, TokenDirectory tokens, Monitoring.Storage.StorageOptions storage, TimeProvider time, ILogger<RemoteCollectorHealth> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        _options = options.Value;
        _tokens = tokens;
        _time = time;
        _logger = logger;
        _file = Path.Combine(storage.DataDirectory, "collectors.json");
        Load();
    }

    /// <summary>Zones served remotely now: the configured ones and those of live collector tokens.</summary>
    public IReadOnlySet<string> RemoteZones()
    {
        var zones = new HashSet<string>(_options.RemoteZones, StringComparer.Ordinal);
        zones.UnionWith(_tokens.CollectorZones());
        return zones;
    }

    /// <summary>A heartbeat this node received from a collector (not one another node relayed): the cluster bus tells the other nodes.</summary>
    public event Action<string, CollectorHeartbeat>? Heard;

    /// <summary>
    /// Records a heartbeat; a gap since the previous one past LateSeconds is remembered as late or lost.
    /// <paramref name="relayed"/>: another cluster node received it (every node shows every zone, whichever node the collector reaches).
    /// </summary>
    public void Record(string zone, CollectorHeartbeat heartbeat, bool relayed = false)
    {
        if (!relayed)
        {
            Heard?.Invoke(zone, heartbeat);
        }

        var now = _time.GetUtcNow();
        _zones.AddOrUpdate(
            zone,
            _ => new ZoneRecord(now, heartbeat, []),
            (_, previous) =>
            {
                var gap = (now - previous.LastContact).TotalSeconds;
                var gaps = previous.Gaps;
                if (gap > _options.LateSeconds)
                {
                    var worst = gap > _options.LostSeconds ? "lost" : "late";
                    LogGap(_logger, zone, Math.Round(gap, 1), worst);
                    gaps = [.. gaps.TakeLast(GapsKept - 1), new ZoneGap(previous.LastContact, now, Math.Round(gap, 1), worst)];
                }

                return new ZoneRecord(now, heartbeat, gaps);
            });
        Save();
    }

    /// <summary>The "zones" of /healthz's collectors component: per zone, its state (ok, late, lost, or unknown before any heartbeat) and last report.</summary>
    public (ComponentState State, Dictionary<string, object> Zones) Describe()
    {
        var now = _time.GetUtcNow();
        var result = new Dictionary<string, object>(StringComparer.Ordinal);
        var worst = ComponentState.Ok;
        foreach (var zone in RemoteZones().Union(_zones.Keys).Order(StringComparer.Ordinal))
        {
            if (!_zones.TryGetValue(zone, out var record))
            {
                result[zone] = new { state = "unknown", detail = "no heartbeat from this zone's collector yet" };
                continue;
            }

            var age = (now - record.LastContact).TotalSeconds;
            var state = age > _options.LostSeconds ? "lost" : age > _options.LateSeconds ? "late" : "ok";
            var beat = record.Heartbeat;
            if (state != "ok" || beat.SamplesDropped > 0)
            {
                worst = ComponentState.Degraded;
            }

            result[zone] = new
            {
                state,
                lastContact = record.LastContact,
                ageSeconds = Math.Round(age, 1),
                lateSeconds = _options.LateSeconds,
                lostSeconds = _options.LostSeconds,
                version = beat.Version,
                backlogBytes = beat.BacklogBytes,
                oldestUnsentSeconds = beat.OldestUnsentSeconds,
                samplesDropped = beat.SamplesDropped,
                samplesPolled = beat.SamplesPolled,
                devices = beat.Devices,
                polls = beat.Polls,
                failures = beat.Failures,
                failingDevices = beat.FailingDevices ?? [],
                gaps = record.Gaps,
            };
        }

        return (worst, result);
    }

    private void Load()
    {
        try
        {
            if (!File.Exists(_file))
            {
                return;
            }

            var saved = JsonSerializer.Deserialize<Dictionary<string, ZoneRecord>>(File.ReadAllText(_file), Json);
            foreach (var (zone, record) in saved ?? [])
            {
                _zones[zone] = record;
            }
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            LogLoadFailed(_logger, _file, ex);
        }
    }

    private void Save()
    {
        lock (_saveGate)
        {
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(_file)!);
                var temp = _file + ".tmp";
                File.WriteAllText(temp, JsonSerializer.Serialize(_zones.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal), Json));
                File.Move(temp, _file, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSaveFailed(_logger, _file, ex);
            }
        }
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record ZoneRecord(DateTimeOffset LastContact, CollectorHeartbeat Heartbeat, IReadOnlyList<ZoneGap> Gaps);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Collector zone {Zone} reported again after {Seconds} s without contact ({Worst})")]
    private static partial void LogGap(ILogger logger, string zone, double seconds, string worst);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the collector zones' last contacts from {File}; they start unknown")]
    private static partial void LogLoadFailed(ILogger logger, string file, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the collector zones' last contacts to {File}")]
    private static partial void LogSaveFailed(ILogger logger, string file, Exception exception);
}
