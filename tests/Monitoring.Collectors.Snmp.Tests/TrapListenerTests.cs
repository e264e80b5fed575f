using System.Net;
using System.Net.Sockets;
using Monitoring.Collectors.Snmp.Security;
using Monitoring.Collectors.Snmp.Traps;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>The trap listener receiving from net-snmp's snmptrap and snmpinform (Debian package snmp).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The listener is disposed in IAsyncLifetime.DisposeAsync.")]
public sealed class TrapListenerTests : IAsyncLifetime
{
    private static readonly Oid LinkDown = Oid.Parse("1.3.6.1.6.3.1.1.5.3");
    private static readonly Oid IfIndex3 = Oid.Parse("1.3.6.1.2.1.2.2.1.1.3");

    private SnmpTrapListener _listener = null!;

    private string Target => $"127.0.0.1:{_listener.LocalEndPoint.Port}";

    public Task InitializeAsync()
    {
        _listener = new SnmpTrapListener(new SnmpTrapListenerOptions
        {
            LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Communities = ["public"],
            Users =
            [
                new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1"),
                new UsmUser("umd5", SnmpAuthProtocol.Md5, "authpass1", SnmpPrivProtocol.Des, "privpass1"),
            ],
        });
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _listener.DisposeAsync();

    private async Task<SnmpNotification> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _listener.Notifications.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task V2c_trap_is_decoded()
    {
        var (exit, _, output) = await SnmpdFixture.RunToolAsync("snmptrap", "-v2c", "-c", "public", Target, "12345", LinkDown.ToString(), IfIndex3.ToString(), "i", "3");
        Assert.True(exit == 0, output);
        var n = await NextAsync();
        Assert.Equal(SnmpVersion.V2c, n.Version);
        Assert.Equal(SnmpPduType.TrapV2, n.PduType);
        Assert.Equal(LinkDown, n.TrapOid);
        Assert.Equal(12345u, n.UpTime);
        Assert.Contains(n.VarBinds, v => v.Oid == IfIndex3 && v.Value.AsInt32() == 3);
    }

    [Fact]
    public async Task V1_traps_get_their_snmpv2_trap_oid()
    {
        var (exit, _, output) = await SnmpdFixture.RunToolAsync("snmptrap", "-v1", "-c", "public", Target, "1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "2", "0", "777", IfIndex3.ToString(), "i", "3");
        Assert.True(exit == 0, output);
        var generic = await NextAsync();
        Assert.Equal(SnmpVersion.V1, generic.Version);
        Assert.Equal(LinkDown, generic.TrapOid);
        Assert.Equal(777u, generic.UpTime);
        Assert.Equal([127, 0, 0, 1], generic.V1!.AgentAddress);

        (exit, _, output) = await SnmpdFixture.RunToolAsync("snmptrap", "-v1", "-c", "public", Target, "1.3.6.1.4.1.8072.3.2.10", "127.0.0.1", "6", "17", "0");
        Assert.True(exit == 0, output);
        Assert.Equal(Oid.Parse("1.3.6.1.4.1.8072.3.2.10.0.17"), (await NextAsync()).TrapOid);
    }

    [Fact]
    public async Task V2c_inform_is_answered_so_snmpinform_succeeds()
    {
        var (exit, _, output) = await SnmpdFixture.RunToolAsync("snmpinform", "-v2c", "-c", "public", "-r", "0", "-t", "3", Target, "42", LinkDown.ToString(), IfIndex3.ToString(), "i", "3");
        Assert.True(exit == 0, $"snmpinform got no valid Response: {output}");
        var n = await NextAsync();
        Assert.Equal(1, _listener.InformsAnswered); // counted before the notification is queued
        Assert.Equal(SnmpPduType.InformRequest, n.PduType);
        Assert.Equal(LinkDown, n.TrapOid);
    }

    [Theory]
    [InlineData("usha", "SHA", "AES")]
    [InlineData("umd5", "MD5", "DES")]
    public async Task V3_authPriv_trap_is_verified_and_decrypted(string user, string auth, string priv)
    {
        var (exit, _, output) = await SnmpdFixture.RunToolAsync("snmptrap", "-v3", "-e", "0x8000000001020304", "-u", user, "-l", "authPriv", "-a", auth, "-A", "authpass1", "-x", priv, "-X", "privpass1", Target, "99", LinkDown.ToString(), IfIndex3.ToString(), "i", "3");
        Assert.True(exit == 0, output);
        var n = await NextAsync();
        Assert.Equal(SnmpVersion.V3, n.Version);
        Assert.Equal(user, n.UserName);
        Assert.Equal(LinkDown, n.TrapOid);
        Assert.Equal(99u, n.UpTime);
    }

    [Fact]
    public async Task Bad_traps_are_counted_and_ignored()
    {
        // Wrong community, wrong v3 password, and garbage: none reaches the reader.
        await SnmpdFixture.RunToolAsync("snmptrap", "-v2c", "-c", "wrong", Target, "1", LinkDown.ToString());
        await SnmpdFixture.RunToolAsync("snmptrap", "-v3", "-e", "0x8000000001020304", "-u", "usha", "-l", "authPriv", "-a", "SHA", "-A", "wrongpass1", "-x", "AES", "-X", "privpass1", Target, "1", LinkDown.ToString());
        using (var udp = new UdpClient(AddressFamily.InterNetwork))
        {
            await udp.SendAsync(new byte[] { 0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x02 }, _listener.LocalEndPoint);
            await udp.SendAsync(new byte[] { 1, 2, 3 }, _listener.LocalEndPoint);
        }

        // A good trap after the bad ones proves the listener still works and orders them.
        var (exit, _, _) = await SnmpdFixture.RunToolAsync("snmptrap", "-v2c", "-c", "public", Target, "5", LinkDown.ToString());
        Assert.Equal(0, exit);
        var n = await NextAsync();
        Assert.Equal(5u, n.UpTime);
        Assert.Equal(4, _listener.Rejected);
        Assert.Equal(1, _listener.RejectedCommunity);
        Assert.Equal(1, _listener.RejectedCredentials);
        Assert.Equal(2, _listener.RejectedMalformed);
        Assert.Equal(1, _listener.Accepted);
        Assert.Equal(0, _listener.InformsAnswered);
    }
}
