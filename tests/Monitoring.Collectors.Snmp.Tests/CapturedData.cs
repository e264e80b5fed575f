namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>Datagrams captured between net-snmp's tools and snmpd (see TestData/README.md).</summary>
internal static class CapturedData
{
    public static IReadOnlyList<(string Direction, byte[] Bytes)> Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", name + ".txt");
        return File.ReadAllLines(path)
            .Where(l => l.Length > 0)
            .Select(l => l.Split(' '))
            .Select(p => (p[0], Convert.FromHexString(p[1])))
            .ToList();
    }

    public static byte[] Response(string name, int index = 0) => Load(name).Where(x => x.Direction == "response").ElementAt(index).Bytes;

    public static byte[] Request(string name, int index = 0) => Load(name).Where(x => x.Direction == "request").ElementAt(index).Bytes;

    public static IEnumerable<byte[]> All() => Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestData"), "*.txt")
        .SelectMany(f => Load(Path.GetFileNameWithoutExtension(f)))
        .Select(x => x.Bytes);
}
