using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Monitoring.Testing;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests.Tickets;

/// <summary>
/// The real server as a child process (dotnet monitoring.dll), a stream of ticket updates from several clients, a
/// SIGKILL in the middle of it, a restart on the same data directory: every update answered 2xx must be there.
/// </summary>
public abstract class TicketKillTests(ITestOutputHelper output) : IDisposable
{
    private Dictionary<string, string>? _storage;

    /// <summary>The child server's storage settings, the same across its restarts: none for SQLite; a PostgreSQL database.</summary>
    protected virtual Task<Dictionary<string, string>> StorageEnvironmentAsync() => Task.FromResult(new Dictionary<string, string>());

    private readonly string _data = Directory.CreateTempSubdirectory("ticket-kill-").FullName;
    private const string FirstPassword = "from-the-environment-1";
    private const string ChangedPassword = "changed-at-first-sign-in-2";
    private Process? _server;
    private readonly ConcurrentQueue<string> _output = new();
    private string _password = FirstPassword;

    public void Dispose()
    {
        GC.SuppressFinalize(this);
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
        }

        _server?.Dispose();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Every_update_answered_with_success_survives_a_kill_9()
    {
        var clock = Stopwatch.StartNew();
        var (http, first) = await StartAsync();
        output.WriteLine($"started in {clock.ElapsedMilliseconds} ms");
        var acknowledged = new ConcurrentBag<(long Ticket, string Kind, string Value)>();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() => StreamAsync(http, w, acknowledged, stop.Token))).ToArray();

        // let the stream run, then kill the server while requests are in flight
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (acknowledged.Count < 60 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        output.WriteLine($"{acknowledged.Count} acknowledged at {clock.ElapsedMilliseconds} ms");
        first.Kill(); // SIGKILL: no shutdown, no flush
        await first.WaitForExitAsync();
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        http.Dispose();
        Assert.True(acknowledged.Count >= 60, $"only {acknowledged.Count} updates were acknowledged before the deadline");

        output.WriteLine($"killed, workers stopped at {clock.ElapsedMilliseconds} ms");
        var (again, second) = await StartAsync();
        output.WriteLine($"restarted at {clock.ElapsedMilliseconds} ms");
        using (again)
        {
            var details = new Dictionary<long, JsonElement>();
            foreach (var (ticket, kind, value) in acknowledged)
            {
                if (!details.TryGetValue(ticket, out var detail))
                {
                    using var response = await again.GetAsync($"/api/tickets/{ticket}");
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"ticket {ticket} was acknowledged as created but is gone after the kill");
                    details[ticket] = detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).Clone();
                }

                switch (kind)
                {
                    case "note":
                        Assert.Contains(detail.GetProperty("notes").EnumerateArray(), n => n.GetProperty("text").GetString() == value);
                        break;
                    case "step":
                        Assert.Contains(detail.GetProperty("timeline").EnumerateArray(), s => s.GetProperty("step").GetString() == value);
                        break;
                }
            }

            // and the restarted server takes new updates on the same tickets
            var any = details.Keys.First();
            using var note = await again.PostAsJsonAsync($"/api/tickets/{any}/notes", new { by = "after", text = "after restart" });
            Assert.Equal(HttpStatusCode.OK, note.StatusCode);
        }

        second.Kill();
        await second.WaitForExitAsync();
    }

    private static async Task StreamAsync(HttpClient http, int worker, ConcurrentBag<(long, string, string)> acknowledged, CancellationToken stop)
    {
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var created = await http.PostAsJsonAsync("/api/tickets", new { by = $"w{worker}", description = $"worker {worker} fault {n}" }, stop);
                if (!created.IsSuccessStatusCode)
                {
                    continue;
                }

                var id = (await created.Content.ReadFromJsonAsync<JsonElement>(stop)).GetProperty("summary").GetProperty("id").GetInt64();
                acknowledged.Add((id, "created", string.Empty));
                foreach (var (path, body, step) in new (string, object, string)[]
                {
                    ("dispatch", new { by = "noc", team = "team-network" }, "dispatched"),
                    ("accept", new { by = "li.wei" }, "accepted"),
                    ("depart", new { by = "li.wei" }, "departed"),
                    ("arrive", new { by = "li.wei" }, "arrived"),
                })
                {
                    using var response = await http.PostAsJsonAsync($"/api/tickets/{id}/{path}", body, stop);
                    if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add((id, "step", step));
                    }
                }

                for (var i = 0; i < 5; i++)
                {
                    var text = $"w{worker}-t{id}-n{i}";
                    using var response = await http.PostAsJsonAsync($"/api/tickets/{id}/notes", new { by = "li.wei", text }, stop);
                    if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add((id, "note", text));
                    }
                }

                n++;
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // the server died mid-request: that update was never acknowledged
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > 500 && _output.TryDequeue(out _))
            {
            }
        }
    }

    private async Task<(HttpClient Http, Process Server)> StartAsync()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build Monitoring.Server");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--data", _data, "--simulator", "false" })
        {
            start.ArgumentList.Add(arg);
        }

        // the first administrator's password from the environment, as an operator would set it; changed at first sign-in
        start.Environment["Monitoring__Auth__AdminPassword"] = FirstPassword;
        _storage ??= await StorageEnvironmentAsync();
        foreach (var (key, value) in _storage)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        _server = process;
        // kept for a failing start's message (the server says why it stopped)
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var client = SignedInClient.Anonymous(new Uri($"http://127.0.0.1:{port}"));
        var http = client.Http;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"the server exited with code {(process.HasExited ? process.ExitCode : 0)} while starting: {string.Join(Environment.NewLine, _output.TakeLast(80))}");
            try
            {
                using var health = await http.GetAsync("/healthz");
                if (health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable)
                {
                    await SignInAsync(client);
                    return (http, process);
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the server did not answer /healthz within 60 s");
        return default;
    }

    /// <summary>Signs in as the administrator; on the first start the password from the environment must be changed first.</summary>
    private async Task SignInAsync(SignedInClient client)
    {
        using var response = await client.TrySignInAsync("admin", _password);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"sign-in answered {(int)response.StatusCode}");
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("user").GetProperty("mustChangePassword").GetBoolean())
        {
            using var changed = await client.Http.PostAsJsonAsync("/api/auth/password", new { current = _password, @new = ChangedPassword });
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            client.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("antiforgery").GetString();
            _password = ChangedPassword;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>On SQLite (the default).</summary>
    public sealed class Sqlite(ITestOutputHelper output) : TicketKillTests(output);

    /// <summary>The same kill test with the server's relational state in a real PostgreSQL (which stays up).</summary>
    public sealed class Postgres(PostgresPeerFixture postgres, ITestOutputHelper output) : TicketKillTests(output), IClassFixture<PostgresPeerFixture>
    {
        protected override Task<Dictionary<string, string>> StorageEnvironmentAsync() => postgres.EnvironmentAsync();
    }
}
