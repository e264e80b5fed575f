using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Monitoring.Server.Tests;

/// <summary>
/// snmpsim (Debian package snmpsim) serving recordings of real devices that ship with it, on a free loopback port; the
/// community is the recording's file name. Run as root, it must drop privileges, so the data is made world-readable.
/// </summary>
public sealed class SnmpsimRecordings : IAsyncLifetime
{
    public const string Examples = "/usr/share/doc/snmpsim/examples/data/recorded";

    /// <summary>The recordings served: a Linux host and a Windows XP host, full walks with every SMI type.</summary>
    public static readonly string[] Communities = ["linux-full-walk", "winxp-full-walk"];

    private Process? _process;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("snmpsim-").FullName;

    public int Port { get; private set; }

    public async Task InitializeAsync()
    {
        const string binary = "/usr/bin/snmpsimd";
        if (!OperatingSystem.IsLinux() || !File.Exists(binary))
        {
            throw new InvalidOperationException($"{binary} is missing: install the Debian package 'snmpsim' (apt-get install -y snmpsim).");
        }

        var data = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "data")).FullName;
        var cache = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "cache")).FullName;
        foreach (var community in Communities)
        {
            await using var source = File.OpenRead(Path.Combine(Examples, community + ".snmprec.gz"));
            await using var gzip = new GZipStream(source, CompressionMode.Decompress);
            await using var target = File.Create(Path.Combine(data, community + ".snmprec"));
            await gzip.CopyToAsync(target);
        }

        foreach (var path in new[] { Directory, data, cache })
        {
            File.SetUnixFileMode(path, (UnixFileMode)0x1FF); // rwxrwxrwx: snmpsimd runs as nobody when started by root
        }

        foreach (var file in System.IO.Directory.GetFiles(data))
        {
            File.SetUnixFileMode(file, (UnixFileMode)0x1A4); // rw-r--r--
        }

        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        }

        var start = new ProcessStartInfo(binary) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var a in new[] { $"--data-dir={data}", $"--cache-dir={cache}", $"--agent-udpv4-endpoint=127.0.0.1:{Port}", "--v2c-arch" })
        {
            start.ArgumentList.Add(a);
        }

        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("--process-user=nobody");
            start.ArgumentList.Add("--process-group=nogroup");
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"snmpsimd exited with {_process.ExitCode}");
            }

            var (code, output, _) = await SnmpCliTests.RunAsync(SnmpCommands.RunAsync, "get", Target, "1.3.6.1.2.1.1.1.0", "-c", Communities[0], "-t", "0.5", "-r", "0");
            if (code == 0 && output.Contains("STRING", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException("snmpsimd did not answer within 120 s");
    }

    public string Target => $"127.0.0.1:{Port}";

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary><c>snmp walk</c> over recordings of real devices, compared value by value with net-snmp's <c>snmpbulkwalk -On</c>.</summary>
public sealed partial class SnmpsimCliTests(SnmpsimRecordings snmpsim) : IClassFixture<SnmpsimRecordings>
{
    [Theory]
    [InlineData("linux-full-walk")]
    [InlineData("winxp-full-walk")]
    public async Task Walk_of_a_recorded_device_equals_snmpbulkwalk_On_value_by_value(string community)
    {
        var (code, output, error) = await SnmpCliTests.RunAsync(SnmpCommands.RunAsync, "walk", snmpsim.Target, "1.3.6.1", "-c", community, "-t", "5");
        Assert.True(code == 0, error);
        var (toolCode, netSnmp, toolError) = await SnmpCliTests.Tool("snmpbulkwalk", "-v2c", "-c", community, "-On", "-t", "5", snmpsim.Target, ".1.3.6.1");
        Assert.True(toolCode == 0, toolError);

        var ours = Entries(output);
        // snmpsim answers past its last object with endOfMibView bindings, which snmpbulkwalk prints and ends on; the
        // walk itself stops there without printing (as snmpwalk does): those lines are the only ones left out
        var theirs = Entries(netSnmp).Where(e => !e.Value.StartsWith("No more variables left", StringComparison.Ordinal)).ToList();
        Assert.True(theirs.Count > 1000, $"snmpbulkwalk returned only {theirs.Count} objects");
        Assert.Equal(theirs.Count, ours.Count);
        for (var i = 0; i < theirs.Count; i++)
        {
            Assert.Equal(theirs[i], ours[i]);
        }

        // every type the recordings hold was compared, not only strings
        foreach (var type in new[] { "STRING: ", "Hex-STRING: ", "INTEGER: ", "OID: ", "Timeticks: ", "Counter32: ", "Gauge32: ", "IpAddress: " })
        {
            Assert.Contains(theirs, e => e.Value.StartsWith(type, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Binary_strings_print_as_Hex_STRING_and_text_as_STRING()
    {
        // ifPhysAddress.2 of the Linux recording is a MAC address; sysDescr.0 is text
        var (code, output, error) = await SnmpCliTests.RunAsync(SnmpCommands.RunAsync, "get", snmpsim.Target, "1.3.6.1.2.1.2.2.1.6.2", "1.3.6.1.2.1.1.1.0", "-c", "linux-full-walk");
        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.6\.2 = Hex-STRING: ([0-9A-F]{2} ){6}$", lines[0]);
        Assert.StartsWith(".1.3.6.1.2.1.1.1.0 = STRING: \"Linux ", lines[1], StringComparison.Ordinal);
    }

    /// <summary>Output split into (OID, value) at each line that starts a binding; hex dumps and texts over several lines stay whole.</summary>
    private static List<(string Oid, string Value)> Entries(string text)
    {
        var entries = new List<(string, string)>();
        var current = new List<string>();
        string? oid = null;
        foreach (var line in text.Split('\n'))
        {
            var m = BindingStart().Match(line);
            if (m.Success)
            {
                if (oid is not null)
                {
                    entries.Add((oid, string.Join('\n', current).TrimEnd('\n')));
                }

                oid = m.Groups[1].Value;
                current = [line[m.Length..]];
            }
            else if (oid is not null)
            {
                current.Add(line);
            }
        }

        if (oid is not null)
        {
            entries.Add((oid, string.Join('\n', current).TrimEnd('\n')));
        }

        return entries;
    }

    [GeneratedRegex(@"^(\.[0-9]+(?:\.[0-9]+)*) = ")]
    private static partial Regex BindingStart();
}
