using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator.Mqtt;

/// <summary>
/// The demo room's MQTT probes (every device whose profile is <c>mqtt/probe</c>: leak-1, smoke-1, door-1), each a real
/// MQTT client publishing to a broker over a socket, with scriptable events: a leak, a door left open, a probe that
/// dies (its connection drops without DISCONNECT, so the broker sends its last will) and comes back.
/// </summary>
public sealed class MqttDemoProbes : IAsyncDisposable
{
    public const string Profile = "mqtt/probe";

    private readonly List<SimulatedProbe> _probes;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private int _disposed;

    public MqttDemoProbes(Inventory inventory, TimeProvider? time = null, ILoggerFactory? loggers = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<MqttDemoProbes>();
        Interval = interval ?? TimeSpan.FromSeconds(5);
        _probes = [.. inventory.Devices
            .Where(d => d.Kind == DeviceKind.Probe && !d.Training && string.Equals(d.Profile, Profile, StringComparison.Ordinal))
            .Select(d => new SimulatedProbe(d, time ?? TimeProvider.System, logger))];
        ServedDeviceIds = _probes.Select(p => p.DeviceId).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>How often every probe publishes its state.</summary>
    public TimeSpan Interval { get; }

    public IReadOnlySet<string> ServedDeviceIds { get; }

    public IReadOnlyList<SimulatedProbe> Probes => _probes;

    public bool IsStarted { get; private set; }

    /// <summary>
    /// Connects every probe to the broker and starts publishing. Brokers refuse anonymous clients by default (the embedded
    /// one unless <c>AllowAnonymous</c>): the server passes a user and password it made up for the simulator.
    /// </summary>
    public async Task StartAsync(string host, int port, string? user, string? password, CancellationToken cancellationToken)
    {
        foreach (var probe in _probes)
        {
            await probe.StartAsync(host, port, user, password, cancellationToken).ConfigureAwait(false);
            _loops.Add(probe.RunAsync(Interval, _stop.Token));
        }

        IsStarted = true;
    }

    /// <summary>Water under the floor: every leak probe turns wet.</summary>
    public void Leak() => Set("probe.leak", true);

    public void ClearLeak() => Set("probe.leak", false);

    public void OpenDoor() => Set("probe.door", true);

    public void CloseDoor() => Set("probe.door", false);

    /// <summary>The first probe (or the one named) drops off the network without a word: the broker sends its will.</summary>
    public string? KillProbe(string? deviceId = null)
    {
        var probe = Find(deviceId);
        probe?.Die();
        return probe?.DeviceId;
    }

    public string? ReviveProbe(string? deviceId = null)
    {
        var probe = deviceId is null ? _probes.FirstOrDefault(p => p.IsDead) ?? Find(null) : Find(deviceId);
        probe?.Revive();
        return probe?.DeviceId;
    }

    /// <summary>One leak probe turns wet (or dry); false when <paramref name="deviceId"/> is no leak probe of the room.</summary>
    public bool SetLeak(string deviceId, bool wet)
    {
        var probe = _probes.FirstOrDefault(p => string.Equals(p.DeviceId, deviceId, StringComparison.Ordinal) && p.Metric == "probe.leak");
        probe?.SetActive(wet);
        return probe is not null;
    }

    public bool Leaking => _probes.Any(p => p.Metric == "probe.leak" && p.Active);

    public bool DoorOpen => _probes.Any(p => p.Metric == "probe.door" && p.Active);

    public IReadOnlyList<string> DeadProbes => [.. _probes.Where(p => p.IsDead).Select(p => p.DeviceId)];

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return; // the server stops it, and the container disposes it again
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var probe in _probes)
        {
            await probe.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private void Set(string metric, bool active)
    {
        foreach (var probe in _probes.Where(p => p.Metric == metric))
        {
            probe.SetActive(active);
        }
    }

    /// <summary>The named probe, or by default the leak probe (the one whose silence matters most), or the first.</summary>
    private SimulatedProbe? Find(string? deviceId) => deviceId is null
        ? _probes.FirstOrDefault(p => p.Metric == "probe.leak") ?? _probes.FirstOrDefault()
        : _probes.FirstOrDefault(p => string.Equals(p.DeviceId, deviceId, StringComparison.Ordinal));
}
