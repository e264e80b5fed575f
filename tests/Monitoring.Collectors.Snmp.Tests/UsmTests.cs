using Monitoring.Collectors.Snmp.Client;
using Monitoring.Collectors.Snmp.Security;

namespace Monitoring.Collectors.Snmp.Tests;

public class UsmTests
{
    private static readonly byte[] RfcEngineId = Convert.FromHexString("000000000000000000000002");

    [Fact]
    public void Rfc3414_A3_1_md5_password_to_key_and_localisation()
    {
        var ku = UsmKeys.PasswordToKey(SnmpAuthProtocol.Md5, "maplesyrup"u8);
        Assert.Equal("9FAF3283884E92834EBC9847D8EDD963", Convert.ToHexString(ku));
        Assert.Equal("526F5EED9FCCE26F8964C2930787D82B", Convert.ToHexString(UsmKeys.Localize(SnmpAuthProtocol.Md5, ku, RfcEngineId)));
    }

    [Fact]
    public void Rfc3414_A3_2_sha_password_to_key_and_localisation()
    {
        var ku = UsmKeys.PasswordToKey(SnmpAuthProtocol.Sha1, "maplesyrup"u8);
        Assert.Equal("9FB5CC0381497B3793528939FF788D5D79145211", Convert.ToHexString(ku));
        Assert.Equal("6695FEBC9288E36282235FC7151F128497B38F3F", Convert.ToHexString(UsmKeys.Localize(SnmpAuthProtocol.Sha1, ku, RfcEngineId)));
    }

    [Fact]
    public void Mac_lengths_follow_rfc3414_and_rfc7860()
    {
        Assert.Equal(12, UsmKeys.MacLength(SnmpAuthProtocol.Md5));
        Assert.Equal(12, UsmKeys.MacLength(SnmpAuthProtocol.Sha1));
        Assert.Equal(24, UsmKeys.MacLength(SnmpAuthProtocol.Sha256));
        Assert.Equal(32, UsmKeys.PasswordToKey(SnmpAuthProtocol.Sha256, "maplesyrup"u8).Length);
    }

    public static TheoryData<string, string, int, int> CapturedExchanges => new()
    {
        { "v3-sha-aes", "usha", (int)SnmpAuthProtocol.Sha1, (int)SnmpPrivProtocol.Aes128 },
        { "v3-md5-des", "umd5", (int)SnmpAuthProtocol.Md5, (int)SnmpPrivProtocol.Des },
        { "v3-sha256-aes", "usha256", (int)SnmpAuthProtocol.Sha256, (int)SnmpPrivProtocol.Aes128 },
    };

    [Theory]
    [MemberData(nameof(CapturedExchanges))]
    public void Verifies_and_decrypts_snmpd_responses_and_net_snmp_requests(string file, string userName, int auth, int priv)
    {
        var user = new UsmUser(userName, (SnmpAuthProtocol)auth, "authpass1", (SnmpPrivProtocol)priv, "privpass1");

        var response = CapturedData.Response(file, 1);
        Assert.Equal(UsmCheck.Ok, UsmProcessor.Process(response, user, default, out var message, out _));
        Assert.True(message!.Header!.IsAuthenticated && message.Header.IsEncrypted);
        Assert.Equal(SnmpPduType.Response, message.Pdu.Type);
        Assert.Equal("testhost", message.Pdu.VarBinds.Single().Value.AsText());

        // net-snmp's own request, encrypted with the same localised keys, decrypts to the GET it sent.
        var request = CapturedData.Request(file, 1);
        Assert.Equal(UsmCheck.Ok, UsmProcessor.Process(request, user, default, out var sent, out _));
        Assert.Equal(SnmpPduType.GetRequest, sent!.Pdu.Type);
        Assert.Equal(Oid.Parse("1.3.6.1.2.1.1.5.0"), sent.Pdu.VarBinds.Single().Oid);
    }

    [Theory]
    [MemberData(nameof(CapturedExchanges))]
    public void A_flipped_bit_in_the_encrypted_payload_fails_the_digest(string file, string userName, int auth, int priv)
    {
        var user = new UsmUser(userName, (SnmpAuthProtocol)auth, "authpass1", (SnmpPrivProtocol)priv, "privpass1");
        var response = CapturedData.Response(file, 1);
        Assert.True(SnmpCodec.TryDecodeV3Envelope(response, out var env, out _));
        var rejected = 0;
        // Flip a bit in the encrypted payload (the tail of the datagram): structure stays valid, digest does not.
        for (var i = env.ScopedPduOffset; i < response.Length; i += 7)
        {
            var tampered = (byte[])response.Clone();
            tampered[i] ^= 0x04;
            Assert.Equal(UsmCheck.WrongDigest, UsmProcessor.Process(tampered, user, default, out var message, out _));
            Assert.Null(message);
            rejected++;
        }

        Assert.True(rejected > 3);
    }

    [Fact]
    public void Wrong_passwords_give_wrong_digest_or_decryption_error()
    {
        var response = CapturedData.Response("v3-sha-aes", 1);
        var wrongAuth = new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass2", SnmpPrivProtocol.Aes128, "privpass1");
        Assert.Equal(UsmCheck.WrongDigest, UsmProcessor.Process(response, wrongAuth, default, out _, out _));
        var wrongPriv = new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass2");
        Assert.Equal(UsmCheck.DecryptionError, UsmProcessor.Process(response, wrongPriv, default, out _, out _));
        var otherName = new UsmUser("someone", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1");
        Assert.Equal(UsmCheck.UnknownUserName, UsmProcessor.Process(response, otherName, default, out _, out _));
        var user = new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1");
        Assert.Equal(UsmCheck.UnknownEngineId, UsmProcessor.Process(response, user, new byte[] { 1, 2, 3, 4, 5 }, out _, out _));
    }

    [Theory]
    [InlineData("v3-sha-aes", 0, SnmpErrorKind.UnknownEngineId)]
    [InlineData("v3-wrong-digest", 1, SnmpErrorKind.WrongDigest)]
    [InlineData("v3-unknown-user", 1, SnmpErrorKind.UnknownUserName)]
    public void Captured_reports_map_to_error_kinds(string file, int index, SnmpErrorKind expected)
    {
        Assert.Equal(UsmCheck.Ok, UsmProcessor.Process(CapturedData.Response(file, index), null, default, out var message, out _));
        Assert.Equal(SnmpPduType.Report, message!.Pdu.Type);
        Assert.False(message.Header!.IsAuthenticated);
        Assert.Equal(expected, SnmpClient.ReportKind(message.Pdu));
        if (expected == SnmpErrorKind.UnknownEngineId)
        {
            Assert.NotEmpty(message.Security!.EngineId);
            Assert.True(message.Security.EngineBoots > 0);
        }
    }

    [Theory]
    [InlineData("1.3.6.1.6.3.15.1.1.1.0", SnmpErrorKind.UnsupportedSecurityLevel)]
    [InlineData("1.3.6.1.6.3.15.1.1.2.0", SnmpErrorKind.NotInTimeWindow)]
    [InlineData("1.3.6.1.6.3.15.1.1.3.0", SnmpErrorKind.UnknownUserName)]
    [InlineData("1.3.6.1.6.3.15.1.1.4.0", SnmpErrorKind.UnknownEngineId)]
    [InlineData("1.3.6.1.6.3.15.1.1.5.0", SnmpErrorKind.WrongDigest)]
    [InlineData("1.3.6.1.6.3.15.1.1.6.0", SnmpErrorKind.DecryptionError)]
    [InlineData("1.3.6.1.6.3.11.2.1.1.0", SnmpErrorKind.Report)]
    public void Every_usmStats_report_oid_maps_to_its_own_kind(string oid, SnmpErrorKind expected)
    {
        var report = new SnmpPdu(SnmpPduType.Report, 0, 0, 0, [new VarBind(Oid.Parse(oid), SnmpValue.FromCounter32(1))]);
        Assert.Equal(expected, SnmpClient.ReportKind(report));
    }

    [Theory]
    [InlineData(SnmpAuthProtocol.Md5, SnmpPrivProtocol.None)]
    [InlineData(SnmpAuthProtocol.Sha1, SnmpPrivProtocol.Des)]
    [InlineData(SnmpAuthProtocol.Sha256, SnmpPrivProtocol.Aes128)]
    [InlineData(SnmpAuthProtocol.Md5, SnmpPrivProtocol.Aes128)]
    public void Encode_then_process_round_trips_at_every_level(SnmpAuthProtocol auth, SnmpPrivProtocol priv)
    {
        var user = new UsmUser("u", auth, "authpass1", priv, priv == SnmpPrivProtocol.None ? null : "privpass1");
        var engineId = Convert.FromHexString("80001F8880AABBCCDDEEFF0011223344");
        var pdu = new SnmpPdu(SnmpPduType.GetRequest, 77, 0, 0, [VarBind.ForRequest(Oid.Parse("1.3.6.1.2.1.1.1.0")), VarBind.ForRequest(Oid.Parse("1.3.6.1.2.1.1.5.0"))]);
        var buffer = new byte[2048];
        Assert.True(UsmProcessor.TryEncode(buffer, 77, 65507, true, user, user.SecurityLevel, engineId, 5, 1234, [], pdu, 99, out var written));
        Assert.Equal(UsmCheck.Ok, UsmProcessor.Process(buffer.AsSpan(0, written), user, engineId, out var message, out _));
        Assert.Equal(priv != SnmpPrivProtocol.None, message!.Header!.IsEncrypted);
        Assert.Equal(77, message.Pdu.RequestId);
        Assert.Equal(pdu.VarBinds, message.Pdu.VarBinds);
        Assert.Equal(5, message.Security!.EngineBoots);
        if (priv != SnmpPrivProtocol.None)
        {
            // The plaintext must not be visible on the wire.
            Assert.Equal(-1, buffer.AsSpan(0, written).IndexOf(new byte[] { 0x2B, 0x06, 0x01, 0x02, 0x01, 0x01, 0x05, 0x00 }));
        }
    }

    [Fact]
    public void User_ToString_never_shows_passwords()
    {
        var user = new UsmUser("usha", SnmpAuthProtocol.Sha1, "SecretAuth1", SnmpPrivProtocol.Aes128, "SecretPriv1");
        var target = new SnmpTarget(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 161), user);
        var community = new SnmpTarget(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 161), SnmpVersion.V2c, "TopSecretCommunity");
        foreach (var text in new[] { user.ToString(), target.ToString(), community.ToString() })
        {
            Assert.DoesNotContain("Secret", text, StringComparison.Ordinal);
        }

        var message = SnmpMessage.ForCommunity(SnmpVersion.V2c, "TopSecretCommunity"u8.ToArray(), new SnmpPdu(SnmpPduType.GetRequest, 1, 0, 0, []));
        Assert.DoesNotContain("Secret", message.ToString(), StringComparison.Ordinal);
    }
}
