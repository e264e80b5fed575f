using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// The real server as a child process (dotnet monitoring.dll) on a data directory of the test's, so a test can kill it
/// with SIGKILL (no shutdown, no flush) or stop it with SIGTERM (a graceful stop), and start it again on the same data.
/// </summary>
/// <param name="port">A fixed port (a restart at the same address, for clients that keep it); 0: a free one at each start.</param>
internal sealed class ChildServer(string dataDirectory, IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? extraArgs = null, int port = 0)
    : IDisposable
{
    private const string FirstPassword = "from-the-environment-1";
    private const string ChangedPassword = "changed-at-first-sign-in-2";
    private Process? _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private string _password = FirstPassword;

    public Uri? Address { get; private set; }

    /// <summary>Everything the process printed (stdout and stderr), line by line.</summary>
    public IReadOnlyCollection<string> Output => _output;

    /// <summary>The server's last lines of output (for a failing test's message).</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output.TakeLast(300));

    public bool HasExited => _process?.HasExited ?? true;

    /// <summary>Starts the server, waits for /healthz, and signs in as the administrator (changing the first password).</summary>
    public async Task<SignedInClient> StartAsync()
    {
        await StartProcessAsync();
        return await SignInAsync();
    }

    /// <summary>Starts the server and waits until it answers /healthz; nobody is signed in.</summary>
    public async Task StartProcessAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build Monitoring.Server");
        var port = PortToUse();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--data", dataDirectory, "--simulator", "false" }.Concat(extraArgs ?? []))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Monitoring__Auth__AdminPassword"] = FirstPassword;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        _process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"the server exited with code {(process.HasExited ? process.ExitCode : 0)} while starting: {RecentOutput}");
            try
            {
                using var health = await probe.GetAsync("/healthz");
                if (health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the server did not answer /healthz within 120 s: {RecentOutput}");
    }

    /// <summary>A new client signed in as the administrator; on the first start the password from the environment is changed first.</summary>
    public async Task<SignedInClient> SignInAsync()
    {
        var client = SignedInClient.Anonymous(Address!);
        using var response = await client.TrySignInAsync("admin", _password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("user").GetProperty("mustChangePassword").GetBoolean())
        {
            using var changed = await client.Http.PostAsJsonAsync("/api/auth/password", new { current = _password, @new = ChangedPassword });
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            client.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("antiforgery").GetString();
            _password = ChangedPassword;
        }

        return client;
    }

    /// <summary>SIGKILL: no shutdown, nothing flushed.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>SIGTERM: the host stops gracefully (hosted services' StopAsync run); waits for the exit.</summary>
    public async Task TerminateAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!)
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
    }

    private int PortToUse() => port != 0 ? port : FreePort();

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
