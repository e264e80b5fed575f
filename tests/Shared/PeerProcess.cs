using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitoring.Testing;

/// <summary>
/// A reference peer (influxd, victoria-metrics, redis-server, aiosmtpd, ...) started by a test in a temp dir on free loopback ports, killed at the end.
/// One file, linked into the Storage and Server test projects and the benchmarks (tests/Shared).
/// </summary>
internal sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PeerProcess(string binary, string debianPackage, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var path = binary.StartsWith('/') ? binary : new[] { "/usr/bin", "/usr/local/bin", "/usr/sbin" }.Select(d => Path.Combine(d, binary)).FirstOrDefault(File.Exists);
        if (path is null || !File.Exists(path))
        {
            throw new InvalidOperationException($"{binary} is not installed: apt-get install -y {debianPackage}");
        }

        Name = Path.GetFileName(path);
        Directory = directory;
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = directory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {binary}");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The binary's file name (for messages).</summary>
    public string Name { get; }

    public string Directory { get; }

    public int Port { get; private init; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The peer's process id (for its CPU time in /proc/PID/stat).</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

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
        var peer = new PeerProcess("influxd", "influxdb", ["-config", config], directory) { Port = http };
        await peer.WaitReadyAsync("/ping");
        return peer;
    }

    /// <summary>VictoriaMetrics (Debian's victoria-metrics), data in <paramref name="directory"/>.</summary>
    public static async Task<PeerProcess> StartVictoriaMetricsAsync(string directory, string extraArguments = "")
    {
        var http = FreePort();
        var peer = new PeerProcess("victoria-metrics", "victoria-metrics", [$"-storageDataPath={directory}/vm", $"-httpListenAddr=127.0.0.1:{http}", .. extraArguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)], directory) { Port = http };
        await peer.WaitReadyAsync("/health");
        return peer;
    }

    /// <summary>
    /// Any other peer: <paramref name="binary"/> (a name looked up in /usr/bin, /usr/local/bin, /usr/sbin, or a full
    /// path) with its arguments, working in <paramref name="directory"/>, its output kept. A missing binary throws,
    /// naming the Debian package (a test fails, never skips). The caller waits for it with <see cref="WaitReadyAsync(Func{Task{bool}}, string, TimeSpan)"/>.
    /// </summary>
    public static PeerProcess Start(string binary, string debianPackage, IEnumerable<string> arguments, string directory, IReadOnlyDictionary<string, string>? environment = null) =>
        new(binary, debianPackage, arguments, directory, environment);

    /// <summary>
    /// Until <paramref name="ready"/> answers true (a connection refused or reset meanwhile counts as not yet); throws
    /// with the peer's output when it exits first or when <paramref name="timeout"/> passes.
    /// </summary>
    public async Task WaitReadyAsync(Func<Task<bool>> ready, string what, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(ready);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                if (await ready())
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or IOException)
            {
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException($"{Name} did not {what} within {timeout.TotalSeconds:0} s: {Output}");
            }

            await Task.Delay(100);
        }
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
        await WaitReadyAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri(Url + path));
                return response.IsSuccessStatusCode;
            },
            $"answer {path}",
            TimeSpan.FromSeconds(30));
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
