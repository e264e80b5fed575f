using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Server.Tests.Ingest;

/// <summary>
/// The real server as a child process on a data folder of the test's, so a test can kill it with SIGKILL (no shutdown
/// code runs) or stop it with SIGTERM (a graceful stop), and start it again on the same data.
/// </summary>
internal sealed class ChildServer : IDisposable
{
    private readonly Process _process;

    private ChildServer(Process process, Uri address, ConcurrentQueue<string> output)
    {
        _process = process;
        Address = address;
        Output = output;
    }

    public Uri Address { get; }

    /// <summary>Everything the process printed (stdout and stderr), line by line.</summary>
    public ConcurrentQueue<string> Output { get; }

    public bool HasExited => _process.HasExited;

    public static async Task<ChildServer> StartAsync(string data, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build Monitoring.Server");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--data", data, "--simulator", "false" }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var output = new ConcurrentQueue<string>();
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Add(output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ChildServer(process, new Uri($"http://127.0.0.1:{port}"), output);
        using var http = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the server exited while starting: " + string.Join('\n', output));
            try
            {
                using var health = await http.GetAsync("/healthz");
                return server;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        server.Dispose();
        Assert.Fail("the server did not answer /healthz within 120 s: " + string.Join('\n', output));
        return server;
    }

    /// <summary>SIGKILL: the process ends at once, no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM: the host stops gracefully (hosted services' StopAsync run); waits for the exit.</summary>
    public async Task TerminateAsync()
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private static void Add(ConcurrentQueue<string> output, string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
