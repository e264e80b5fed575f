using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>Runs the mbpoll command-line Modbus master once and parses the values it prints.</summary>
internal static partial class Mbpoll
{
    public const string Path = "/usr/bin/mbpoll";

    /// <summary>Reads <paramref name="count"/> values of <paramref name="type"/> (mbpoll's -t) from a 0-based address.</summary>
    public static async Task<IReadOnlyList<double>> ReadAsync(int port, byte unit, int address, int count, string type, bool bigEndianWords = false)
    {
        if (!File.Exists(Path))
        {
            throw new InvalidOperationException($"{Path} is missing: install the Debian package mbpoll (apt-get install -y mbpoll)");
        }

        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-m", "tcp", "-p", port.ToString(CultureInfo.InvariantCulture), "-a", unit.ToString(CultureInfo.InvariantCulture),
                     "-0", "-r", address.ToString(CultureInfo.InvariantCulture), "-c", count.ToString(CultureInfo.InvariantCulture), "-t", type, "-1", "-o", "3" })
        {
            start.ArgumentList.Add(argument);
        }

        if (bigEndianWords)
        {
            start.ArgumentList.Add("-B");
        }

        start.ArgumentList.Add("127.0.0.1");
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start mbpoll");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        var output = await stdout;
        var values = ValueLine().Matches(output).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
        if (process.ExitCode != 0 || values.Count != count)
        {
            throw new InvalidOperationException($"mbpoll exited {process.ExitCode} with {values.Count} values:\n{output}\n{await stderr}");
        }

        return values;
    }

    [GeneratedRegex(@"^\[\d+\]:\s+(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex ValueLine();
}
