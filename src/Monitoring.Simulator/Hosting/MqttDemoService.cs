using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Monitoring.Collectors.Mqtt.Client;
using Monitoring.Collectors.Mqtt.Hosting;
using Monitoring.Mqtt.Broker;
using Monitoring.Mqtt.Broker.Hosting;
using Monitoring.Simulator.Mqtt;

namespace Monitoring.Simulator.Hosting;

/// <summary>
/// The user the demo's simulated probes sign in to the embedded broker with: made up at start, held only in memory,
/// never logged; like a probe it may publish only under the probes' topics and subscribe to nothing.
/// </summary>
public sealed class MqttDemoUser
{
    /// <summary>What the simulated probes publish to (site/ROOM/probe/DEVICE/...), the only topics their user may publish to.</summary>
    public const string Topics = "site/+/probe/#";

    /// <summary>The random suffix keeps it apart from any configured user.</summary>
    public string User { get; } = "monitoring-simulator-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public string Password { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public MqttBrokerUser ToBrokerUser() => new() { Username = User, Password = Password, Publish = [Topics] };
}

/// <summary>
/// Connects the demo's probes once their broker is there and the collector listens (both start gates awaited here): the
/// embedded broker with <see cref="MqttDemoUser"/>, or else the external broker of <c>Monitoring:Mqtt:External</c>.
/// </summary>
internal sealed partial class MqttDemoService(
    MqttDemoProbes probes,
    MqttDemoUser demoUser,
    MqttCollector collector,
    IOptions<MqttExternalSettings> external,
    ILogger<MqttDemoService> logger,
    EmbeddedMqttBroker? broker = null) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (probes.ServedDeviceIds.Count == 0)
        {
            return;
        }

        if (broker is not null)
        {
            await broker.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
        }

        await collector.Subscribed.WaitAsync(stoppingToken).ConfigureAwait(false);
        string host;
        int port;
        string? user = null;
        string? password = null;
        var settings = external.Value;
        if (broker?.LocalEndPoint is { } endPoint)
        {
            (host, port, user, password) = ("127.0.0.1", endPoint.Port, demoUser.User, demoUser.Password);
        }
        else if (MqttCollector.TryParseUrl(settings.Url, out var uri, out _))
        {
            (host, port, user, password) = (uri.Host, uri.Port, settings.User, settings.Password);
        }
        else
        {
            LogNoDemoBroker(logger);
            return;
        }

        try
        {
            await probes.StartAsync(host, port, user, password, stoppingToken).ConfigureAwait(false);
            LogDemo(logger, probes.ServedDeviceIds.Count, probes.Interval.TotalSeconds);
        }
        catch (Exception ex) when (ex is SocketException or IOException or MqttConnectException or TimeoutException)
        {
            LogDemoFailed(logger, ex);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await probes.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT simulation: {Probes} probes publishing every {Seconds} s")]
    private static partial void LogDemo(ILogger logger, int probes, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT simulation not started: no broker to publish to")]
    private static partial void LogNoDemoBroker(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "MQTT simulation could not connect its probes")]
    private static partial void LogDemoFailed(ILogger logger, Exception exception);
}
