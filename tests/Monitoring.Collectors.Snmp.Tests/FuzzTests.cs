using Monitoring.Collectors.Snmp.Security;
using Xunit.Abstractions;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>
/// Mutated and random datagrams into the decoder and the USM: no exception escapes, every call returns, and the
/// bytes allocated per datagram stay proportional to its size.
/// </summary>
public class FuzzTests(ITestOutputHelper output)
{
    private const int Iterations = 120_000;

    [Fact]
    public void Mutated_and_random_datagrams_never_throw_and_allocate_boundedly()
    {
        var corpus = BuildCorpus();
        var users = new[]
        {
            new UsmUser("usha", SnmpAuthProtocol.Sha1, "authpass1", SnmpPrivProtocol.Aes128, "privpass1"),
            new UsmUser("umd5", SnmpAuthProtocol.Md5, "authpass1", SnmpPrivProtocol.Des, "privpass1"),
            new UsmUser("usha256", SnmpAuthProtocol.Sha256, "authpass1", SnmpPrivProtocol.Aes128, "privpass1"),
        };
        var engineIds = corpus.Select(EngineIdOf).Where(e => e.Length > 0).Distinct(new BytesComparer()).ToArray();

        var random = new Random(20261122);
        var decoded = 0;
        var usmOk = 0;
        long totalAllocated = 0;
        long worstExcess = 0;
        var worstLength = 0;
        long worstAllocated = 0;
        var scratch = new byte[70_000];

        // Warm up pools and caches so the measurement sees steady state.
        foreach (var seed in corpus)
        {
            foreach (var user in users)
            {
                foreach (var engine in engineIds)
                {
                    UsmProcessor.Process(seed, user, engine, out _, out _);
                }
            }
        }

        for (var i = 0; i < Iterations; i++)
        {
            var length = Mutate(random, corpus[random.Next(corpus.Length)], scratch);
            var datagram = scratch.AsSpan(0, length);
            var user = users[i % users.Length];
            var engine = engineIds[i % engineIds.Length];

            var before = GC.GetAllocatedBytesForCurrentThread();
            if (SnmpCodec.TryDecode(datagram, out var message, out var error))
            {
                Assert.NotNull(message);
                decoded++;
            }
            else
            {
                Assert.NotEqual(SnmpDecodeError.None, error);
            }

            SnmpCodec.TryPeekId(datagram, out _, out _);
            if (UsmProcessor.Process(datagram, user, engine, out _, out _) == UsmCheck.Ok)
            {
                usmOk++;
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            totalAllocated += allocated;
            var excess = allocated - (64L * length);
            if (excess > worstExcess)
            {
                worstExcess = excess;
                worstLength = length;
                worstAllocated = allocated;
            }
        }

        output.WriteLine($"{Iterations} datagrams: {decoded} decoded, {usmOk} passed the USM, {totalAllocated / Iterations} bytes allocated on average; worst: {worstAllocated} bytes for a {worstLength}-byte datagram");
        // Bounded allocation: never more than 64 bytes per datagram byte plus a small constant.
        Assert.True(worstExcess <= 16 * 1024, $"{worstAllocated} bytes allocated for a {worstLength}-byte datagram");
        Assert.True(totalAllocated / Iterations < 8 * 1024, $"average {totalAllocated / Iterations} bytes per datagram");
        // The mutations must exercise both outcomes, or the test proves nothing.
        Assert.True(decoded > Iterations / 50, $"only {decoded} mutated datagrams decoded");
        Assert.True(decoded < Iterations * 9 / 10, $"{decoded} decoded: mutations too weak");
    }

    [Fact]
    public void Length_fields_that_lie_are_caught_at_every_position()
    {
        // Replace each byte of real datagrams with each long-form length prefix: the decoder must refuse or
        // decode consistently, never read past the datagram or allocate by the lie.
        foreach (var seed in BuildCorpus())
        {
            for (var pos = 0; pos < seed.Length; pos++)
            {
                foreach (var lie in new byte[] { 0x7F, 0x80, 0x81, 0x82, 0x84, 0x85, 0xFF })
                {
                    var copy = (byte[])seed.Clone();
                    copy[pos] = lie;
                    var before = GC.GetAllocatedBytesForCurrentThread();
                    SnmpCodec.TryDecode(copy, out _, out _);
                    var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                    Assert.True(allocated <= (64L * copy.Length) + 16 * 1024, $"{allocated} bytes for {copy.Length}");
                }
            }
        }
    }

    private static byte[][] BuildCorpus()
    {
        var corpus = CapturedData.All().ToList();
        var vbs = new[]
        {
            new VarBind(Oid.Parse("1.3.6.1.2.1.1.3.0"), SnmpValue.FromTimeTicks(1)),
            new VarBind(Oid.Parse("1.3.6.1.2.1.31.1.1.1.6.1"), SnmpValue.FromCounter64(5)),
            new VarBind(Oid.Parse("1.3.6.1.2.1.4.20.1.1.10.0.0.1"), SnmpValue.FromIpAddress([10, 0, 0, 1])),
            new VarBind(Oid.Parse("1.3.6.1.2.1.1.2.0"), SnmpValue.FromOid(Oid.Parse("1.3.6.1.4.1.8072.3.2.10"))),
            new VarBind(Oid.Parse("1.3.6.1.4.1.1.1"), SnmpValue.FromOpaque([0x9F, 0x78, 4, 0, 0, 0, 0])),
            new VarBind(Oid.Parse("1.3.6.1.4.1.1.2"), SnmpValue.EndOfMibView),
        };
        var buffer = new byte[4096];
        var trap = new SnmpPdu(new TrapV1Header(Oid.Parse("1.3.6.1.4.1.8072"), [127, 0, 0, 1], 6, 1, 100), vbs);
        foreach (var pdu in new[] { new SnmpPdu(SnmpPduType.TrapV2, 7, 0, 0, vbs), new SnmpPdu(SnmpPduType.InformRequest, 8, 0, 0, vbs), trap })
        {
            Assert.True(SnmpCodec.TryEncode(SnmpMessage.ForCommunity(SnmpVersion.V1, "public"u8.ToArray(), pdu), buffer, out var n));
            corpus.Add(buffer[..n]);
        }

        return [.. corpus];
    }

    private static byte[] EngineIdOf(byte[] datagram) =>
        SnmpCodec.TryDecodeV3Envelope(datagram, out var env, out _) ? env.Security.EngineId : [];

    private static int Mutate(Random random, byte[] seed, byte[] output)
    {
        var kind = random.Next(6);
        if (kind == 0)
        {
            // Random bytes, sometimes starting like a SEQUENCE so the parser gets further.
            var length = random.Next(0, 1500);
            random.NextBytes(output.AsSpan(0, length));
            if (length > 2 && random.Next(2) == 0)
            {
                output[0] = 0x30;
            }

            return length;
        }

        seed.CopyTo(output, 0);
        var n = seed.Length;
        switch (kind)
        {
            case 1: // bit flips
                for (var f = random.Next(1, 5); f > 0; f--)
                {
                    output[random.Next(n)] ^= (byte)(1 << random.Next(8));
                }

                return n;
            case 2: // truncation
                return random.Next(n);
            case 3: // a length field that lies
                {
                    var pos = random.Next(1, n);
                    output[pos] = random.Next(4) switch
                    {
                        0 => 0x84,
                        1 => 0x82,
                        2 => (byte)random.Next(0x80),
                        _ => 0xFF,
                    };
                    if (pos + 2 < n)
                    {
                        output[pos + 1] = 0xFF;
                    }

                    return n;
                }

            case 4: // inserted garbage
                {
                    var pos = random.Next(n);
                    var extra = random.Next(1, 16);
                    Array.Copy(seed, pos, output, pos + extra, n - pos);
                    random.NextBytes(output.AsSpan(pos, extra));
                    return n + extra;
                }

            default: // byte replaced with a random value
                output[random.Next(n)] = (byte)random.Next(256);
                return n;
        }
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
