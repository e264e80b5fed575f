using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitoring.Testing;

/// <summary>
/// A reference peer (influxd, victoria-metrics) started by a test in a temp dir on free loopback ports, killed at the end.
/// One file, linked into the Storage and Server test projects and the benchmarks (tests/Shared).
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PeerProcess(string binary, string debianPackage, string arguments, string directory)
    {
        var path = new[] { "/usr/bin", "/usr/local/bin", "/usr/sbin" }.Select(d => Path.Combine(d, binary)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{binary} is not installed: apt-get install -y {debianPackage}");
        Directory = directory;
        var start = new ProcessStartInfo(path, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Directory { get; }

    public int Port { get; private init; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The peer's process id (for its CPU time in /proc/PID/stat).</summary>
    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>InfluxDB 1.x (Debian's influxdb) with meta, data and WAL in <paramref name="directory"/>.</summary>
    public static async Task<PeerProcess> StartInfluxdAsync(string directory, int? port = null)
    {
        var http = port ?? FreePort();
        var rpc = FreePort();
        var config = Path.Combine(directory, "influxdb.conf");
        await File.WriteAllTextAsync(config, $"""
            reporting-disabled = true
            bind-address = "127.0.0.1:{rpc}"
            [meta]
              dir = "{directory}/meta"
            [data]
              dir = "{directory}/data"
              wal-dir = "{directory}/wal"
              query-log-enabled = false
            [http]
              bind-address = "127.0.0.1:{http}"
              log-enabled = false
            [monitor]
              store-enabled = false
            """);
        var peer = new PeerProcess("influxd", "influxdb", $"-config {config}", directory) { Port = http };
        await peer.WaitReadyAsync("/ping");
        return peer;
    }

    /// <summary>VictoriaMetrics (Debian's victoria-metrics), data in <paramref name="directory"/>.</summary>
    public static async Task<PeerProcess> StartVictoriaMetricsAsync(string directory, string extraArguments = "")
    {
        var http = FreePort();
        var peer = new PeerProcess("victoria-metrics", "victoria-metrics", $"-storageDataPath={directory}/vm -httpListenAddr=127.0.0.1:{http} {extraArguments}".TrimEnd(), directory) { Port = http };
        await peer.WaitReadyAsync("/health");
        return peer;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private async Task WaitReadyAsync(string path)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"peer exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(Url + path));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"peer did not answer {path} in 30 s: {Output}");
    }

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            if (_output.Length < 64 * 1024)
            {
                _output.AppendLine(line);
            }
        }
    }
}
