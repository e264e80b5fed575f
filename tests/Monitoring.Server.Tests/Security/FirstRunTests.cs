using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Security;

/// <summary>
/// The real server process started twice on one data folder, its console read: the first start prints a random
/// administrator password once, which works only to change it; the second start prints nothing of the kind.
/// </summary>
public sealed partial class FirstRunTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("monitoring-firstrun-").FullName;
    private readonly List<Process> _processes = [];

    public void Dispose()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_first_start_prints_a_random_administrator_password_once_and_it_must_be_changed_at_first_sign_in()
    {
        var (first, output) = await StartAsync();
        var password = await ServerFixture.EventuallyAsync(
            () => Task.FromResult(PasswordLine().Match(string.Join('\n', output)) is { Success: true } m ? m.Groups[1].Value : null),
            p => p is not null, "the administrator's password on the console", 30_000);
        Assert.True(password!.Length >= 16, $"a generated password of at least 16 characters, got {password.Length}");
        Assert.Single(output, line => line.Contains(password, StringComparison.Ordinal)); // printed once, never logged

        using (var client = SignedInClient.Anonymous(first))
        {
            using var signIn = await client.TrySignInAsync("admin", password);
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            Assert.True((await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user").GetProperty("mustChangePassword").GetBoolean());

            using (var rooms = await client.Http.GetAsync("/api/rooms"))
            {
                Assert.Equal(HttpStatusCode.Forbidden, rooms.StatusCode);
                Assert.Contains("password change required", await rooms.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }

            using (var changed = await client.Http.PostAsJsonAsync("/api/auth/password", new { current = password, @new = "chosen-by-the-admin-1" }))
            {
                Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
                client.Antiforgery = (await changed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("antiforgery").GetString();
            }

            using var after = await client.Http.GetAsync("/api/rooms");
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        await StopAsync();
        var (second, again) = await StartAsync();
        using (var client = SignedInClient.Anonymous(second))
        {
            using var old = await client.TrySignInAsync("admin", password);
            Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
            await client.SignInAsync("admin", "chosen-by-the-admin-1");
        }

        Assert.DoesNotContain(again, line => line.Contains("password:", StringComparison.Ordinal));
        Assert.DoesNotContain(again, line => line.Contains("chosen-by-the-admin-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_password_from_the_environment_is_used_instead_and_is_never_printed()
    {
        const string FromEnvironment = "set-by-the-installer-7";
        var (address, output) = await StartAsync(new Dictionary<string, string> { ["Monitoring__Auth__AdminPassword"] = FromEnvironment, ["Monitoring__Auth__AdminName"] = "noc-admin" });
        using var client = SignedInClient.Anonymous(address);
        using var signIn = await client.TrySignInAsync("noc-admin", FromEnvironment);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.True((await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("user").GetProperty("mustChangePassword").GetBoolean());
        Assert.DoesNotContain(output, line => line.Contains(FromEnvironment, StringComparison.Ordinal));
        Assert.DoesNotContain(output, line => line.Contains("password:", StringComparison.Ordinal));
    }

    private async Task<(Uri Address, ConcurrentQueue<string> Output)> StartAsync(Dictionary<string, string>? environment = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "monitoring.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build Monitoring.Server");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { dll, "--urls", $"http://127.0.0.1:{port}", "--data", _data, "--simulator", "false" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }

        var output = new ConcurrentQueue<string>();
        var process = Process.Start(start)!;
        _processes.Add(process);
        process.OutputDataReceived += (_, e) => Add(output, e.Data);
        process.ErrorDataReceived += (_, e) => Add(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var address = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, "the server exited while starting: " + string.Join('\n', output));
            try
            {
                using var health = await http.GetAsync("/healthz");
                return (address, output);
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        Assert.Fail("the server did not answer /healthz within 60 s");
        return default;
    }

    private async Task StopAsync()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
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

    [GeneratedRegex(@"^\s*password:\s+(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex PasswordLine();
}
