using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Protocol;
using Monitoring.Core.Inventory;

namespace Monitoring.Simulator.Mqtt;

/// <summary>
/// One edge probe of the demo room over real MQTT: it connects (through its <see cref="CuttableLink"/>) with a retained
/// last will "offline" on <c>site/{room}/probe/{id}/status</c>, says "online" there, and publishes its state as JSON
/// (<c>{"leak":"dry","ts":...}</c>) on <c>.../state</c> every interval and at once when the state changes. A temperature
/// point publishes its bare reading (<c>23.4</c>) on <c>.../temperature</c> instead: a slow swing around its own
/// level, and 34 °C or more while it is "active" (a hot spot).
/// </summary>
public sealed partial class SimulatedProbe : IAsyncDisposable
{
    private readonly Device _device;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _statusTopic;
    private readonly string _stateTopic;
    private readonly string _temperatureTopic;
    private readonly string _metric;
    private readonly double _baseTemperature;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private MqttClient? _client;
    private CuttableLink? _link;
    private int _active;
    private int _lastConnectCount;

    public SimulatedProbe(Device device, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
        _time = time;
        _logger = logger;
        var prefix = $"site/{device.RoomId}/probe/{device.Id}/";
        _statusTopic = prefix + "status";
        _stateTopic = prefix + "state";
        _temperatureTopic = prefix + "temperature";
        var metrics = device.Model.Metrics.Select(m => m.Name).ToList();
        _metric = metrics.FirstOrDefault(m => m is "probe.leak" or "probe.smoke" or "probe.door")
            ?? (metrics.Contains("environment.temperature") ? "environment.temperature" : "probe.leak");
        _baseTemperature = 22.0 + (device.Index % 5) * 0.6; // cold-aisle air, a little different per point
    }

    public string DeviceId => _device.Id;

    /// <summary>The metric this probe reports (probe.leak, probe.smoke, probe.door or environment.temperature).</summary>
    public string Metric => _metric;

    /// <summary>True while the probe senses its condition (water, smoke, door open, a hot spot).</summary>
    public bool Active => Volatile.Read(ref _active) != 0;

    public bool IsDead => _link?.IsCut == true;

    public async Task StartAsync(string host, int port, string? user, string? password, CancellationToken cancellationToken)
    {
        _link = new CuttableLink(host, port);
        _link.Start();
        _client = new MqttClient(new MqttClientOptions
        {
            Host = "127.0.0.1",
            Port = _link.EndPoint.Port,
            ProtocolVersion = MqttProtocolVersion.V311,
            ClientId = "sim-" + _device.Id,
            UserName = user,
            Password = password,
            KeepAlive = TimeSpan.FromSeconds(30),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(1),
            Will = new MqttWill { Topic = _statusTopic, Payload = "offline"u8.ToArray(), QoS = MqttQualityOfService.AtLeastOnce, Retain = true },
        });
        await _client.ConnectAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets the sensed condition; the new state is published at once.</summary>
    public void SetActive(bool active)
    {
        Volatile.Write(ref _active, active ? 1 : 0);
        Wake();
    }

    /// <summary>The probe's connection drops without DISCONNECT: the broker publishes its will. It stays away until <see cref="Revive"/>.</summary>
    public void Die() => _link?.Cut();

    /// <summary>The probe's network comes back: its client reconnects by itself and says "online" again.</summary>
    public void Revive()
    {
        _link?.Restore();
        Wake();
    }

    /// <summary>Publishes every <paramref name="interval"/> (and when woken) until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        var client = _client ?? throw new InvalidOperationException("StartAsync first");
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (!IsDead)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await client.WaitUntilConnectedAsync(timeout.Token).ConfigureAwait(false);
                    if (client.ConnectCount != _lastConnectCount)
                    {
                        _lastConnectCount = client.ConnectCount;
                        await client.PublishAsync(_statusTopic, "online"u8.ToArray(), MqttQualityOfService.AtLeastOnce, retain: true, cancellationToken: timeout.Token).ConfigureAwait(false);
                    }

                    if (_metric == "environment.temperature")
                    {
                        await client.PublishAsync(_temperatureTopic, TemperaturePayload(), MqttQualityOfService.AtMostOnce, cancellationToken: timeout.Token).ConfigureAwait(false);
                    }
                    else
                    {
                        await client.PublishAsync(_stateTopic, StatePayload(), MqttQualityOfService.AtMostOnce, cancellationToken: timeout.Token).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // not connected within the timeout (the link was cut meanwhile): try again on the next tick
            }
#pragma warning disable CA1031 // a simulated probe must never take the demo down; it logs and tries again
            catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
            {
                LogPublishFailed(_logger, ex, _device.Id);
            }

            var wake = Volatile.Read(ref _wake);
            try
            {
                await Task.WhenAny(wake.Task, Task.Delay(interval, _time, cancellationToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (wake.Task.IsCompleted)
            {
                Interlocked.CompareExchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), wake);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync().ConfigureAwait(false);
        }

        if (_link is not null)
        {
            await _link.DisposeAsync().ConfigureAwait(false);
        }

    }

    private byte[] StatePayload()
    {
        var key = _metric[(_metric.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var word = (_metric, Active) switch
        {
            ("probe.leak", true) => "wet",
            ("probe.leak", false) => "dry",
            ("probe.smoke", true) => "smoke",
            ("probe.smoke", false) => "clear",
            ("probe.door", true) => "open",
            _ => "closed",
        };
        var ms = _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        return Encoding.UTF8.GetBytes($"{{\"{key}\":\"{word}\",\"ts\":{ms}}}");
    }

    private byte[] TemperaturePayload()
    {
        var minutes = _time.GetUtcNow().ToUnixTimeMilliseconds() / 60_000.0;
        var value = _baseTemperature + 0.8 * Math.Sin(minutes * 2 * Math.PI / 30) + (Active ? 12.5 : 0);
        return Encoding.UTF8.GetBytes(value.ToString("0.0", CultureInfo.InvariantCulture));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Simulated probe {Device} could not publish")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string device);

    private void Wake() => Volatile.Read(ref _wake).TrySetResult();
}
