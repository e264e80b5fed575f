using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Collector;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;

namespace Monitoring.Collectors.Snmp.Tests.Collector;

/// <summary>
/// Poll health names why a device failed, in the words the CLI prints, each cause made real: a closed UDP port (the
/// host answers ICMP port unreachable), a socket that swallows requests (no response), and snmpd refusing a wrong v3
/// password (usmStatsWrongDigests).
/// </summary>
public sealed class PollHealthReasonTests(SnmpdFixture snmpd) : IClassFixture<SnmpdFixture>
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Closed_port_silent_agent_and_wrong_password_each_have_their_own_reason_in_poll_health()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0)); // bound, never read: requests go unanswered, no ICMP
        var closed = ClosedUdpPort();

        var inventory = Repo.HostInventory("snmp/net-snmp", "lo");
        var registry = new SeriesRegistry(inventory);
        var device = inventory.Devices[0];
        var profile = SnmpProfileLoader.LoadFolder(Repo.Profiles)["snmp/net-snmp"] with { Interval = TimeSpan.FromSeconds(2) };
        await using var client = new SnmpClient();
        var pollers = new IDevicePoller[]
        {
            new Renamed("closed", new SnmpDevicePoller(device, profile, new SnmpTarget(closed, SnmpVersion.V2c, "public") { Timeout = Fast, Retries = 0 }, client, registry)),
            new Renamed("silent", new SnmpDevicePoller(device, profile, new SnmpTarget((IPEndPoint)silent.LocalEndPoint!, SnmpVersion.V2c, "public") { Timeout = Fast, Retries = 0 }, client, registry)),
            new Renamed("wrong-password", new SnmpDevicePoller(
                device,
                profile,
                new SnmpTarget(snmpd.EndPoint, new UsmUser("usha", SnmpAuthProtocol.Sha1, "not-the-password", SnmpPrivProtocol.Aes128, "privpass1")) { Timeout = Fast, Retries = 0 },
                client,
                registry)),
        };
        var health = new PollHealth();
        using var scheduler = new PollScheduler(TimeProvider.System, health, new ListSink(), NullLogger<PollScheduler>.Instance);
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(pollers, stop.Token);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (pollers.Any(p => health.Get(p.DeviceId) is null) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }

        var closedState = health.Get("closed")!;
        Assert.Equal(PollOutcome.Unreachable, closedState.LastOutcome);
        Assert.Contains($"port unreachable (ICMP): nothing listens on UDP {closed}", closedState.LastMessage, StringComparison.Ordinal);

        var silentState = health.Get("silent")!;
        Assert.Equal(PollOutcome.Timeout, silentState.LastOutcome);
        Assert.Contains("no response within 300 ms", silentState.LastMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("port unreachable", silentState.LastMessage, StringComparison.Ordinal);

        var passwordState = health.Get("wrong-password")!;
        Assert.Equal(PollOutcome.AuthenticationFailed, passwordState.LastOutcome);
        Assert.Contains("authentication failed", passwordState.LastMessage, StringComparison.Ordinal);
        Assert.Contains("usmStatsWrongDigests", passwordState.LastMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", passwordState.LastMessage, StringComparison.Ordinal);
    }

    /// <summary>A loopback UDP port nobody listens on (bound, then released).</summary>
    private static IPEndPoint ClosedUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }

    /// <summary>The same device polled at three addresses: each its own entry in poll health.</summary>
    private sealed class Renamed(string id, IDevicePoller inner) : IDevicePoller
    {
        public string DeviceId => id;

        public string Collector => inner.Collector;

        public TimeSpan Interval => inner.Interval;

        public ValueTask<PollResult> PollAsync(ISampleSink sink, CancellationToken cancellationToken) => inner.PollAsync(sink, cancellationToken);
    }
}
