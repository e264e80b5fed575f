namespace Monitoring.Server.Ingest;

/// <summary>The CRC-32 of gzip's trailer (ISO-HDLC, reflected polynomial 0xEDB88320), computed as bytes arrive.</summary>
internal static class GzipCrc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>Continues <paramref name="crc"/> (0 to start) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        var table = Table;
        var c = ~crc;
        foreach (var b in data)
        {
            c = table[(c ^ b) & 0xff] ^ (c >> 8);
        }

        return ~c;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
