using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Collectors.Snmp.Tests;

/// <summary>
/// A real net-snmp agent (Debian package snmpd) on a free loopback UDP port, with its configuration and persistent
/// state in a temporary directory. Started once per test class, killed at the end.
/// </summary>
public sealed class SnmpdFixture : IAsyncLifetime
{
    public const string SnmpdPath = "/usr/sbin/snmpd";

    private Process? _process;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "snmpd-test-" + Guid.NewGuid().ToString("N")[..8]);

    public int Port { get; private set; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    public async Task InitializeAsync()
    {
        if (!File.Exists(SnmpdPath))
        {
            throw new InvalidOperationException($"{SnmpdPath} is missing: install the Debian package 'snmpd' (apt-get install -y snmpd snmp).");
        }

        System.IO.Directory.CreateDirectory(Directory);
        Port = FreeUdpPort();
        var conf = Path.Combine(Directory, "snmpd.conf");
        await File.WriteAllTextAsync(conf, $"""
            agentAddress udp:127.0.0.1:{Port}
            rocommunity public 127.0.0.1
            createUser usha SHA "authpass1" AES "privpass1"
            createUser usha256 SHA-256 "authpass1" AES "privpass1"
            createUser umd5 MD5 "authpass1" DES "privpass1"
            createUser uauth SHA "authpass1"
            rouser usha priv
            rouser usha256 priv
            rouser umd5 priv
            rouser uauth auth
            sysName testhost
            sysLocation machine room 1
            """);

        var start = new ProcessStartInfo(SnmpdPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-f", "-Lo", "-C", "-c", conf, "-p", Path.Combine(Directory, "snmpd.pid") })
        {
            start.ArgumentList.Add(arg);
        }

        SetQuietEnvironment(start);
        start.Environment["SNMP_PERSISTENT_DIR"] = Directory;
        _process = Process.Start(start) ?? throw new InvalidOperationException("snmpd did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when it answers a v2c GET of sysName.0 (checked with net-snmp's own snmpget when present).
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"snmpd exited with code {_process.ExitCode} on start.");
            }

            var (exit, output, _) = await RunToolAsync("snmpget", "-v2c", "-c", "public", "-On", "-r0", "-t", "0.3", Target, "1.3.6.1.2.1.1.5.0");
            if (exit == 0 && output.Contains("testhost", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"snmpd on UDP port {Port} did not answer within 15 s.");
    }

    /// <summary>host:port for net-snmp's command-line tools.</summary>
    public string Target => $"127.0.0.1:{Port}";

    public static async Task<(int ExitCode, string Output, string Errors)> RunToolAsync(string tool, params string[] args)
    {
        var path = Path.Combine("/usr/bin", tool);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: install the Debian package 'snmp' (apt-get install -y snmp).");
        }

        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        SetQuietEnvironment(start);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static void SetQuietEnvironment(ProcessStartInfo start)
    {
        // No MIB files are installed (Debian ships them in a non-free package): keep every tool numeric and quiet.
        start.Environment["MIBS"] = string.Empty;
        start.Environment["MIBDIRS"] = "/nonexistent";
        start.Environment.TryAdd("SNMP_PERSISTENT_DIR", Path.Combine(Path.GetTempPath(), "snmp-tools-state"));
    }

    public Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process?.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    private static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
