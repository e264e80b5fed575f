using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Monitoring.Server.Tests;

/// <summary>
/// The real server (a child process) on a small tmpfs that the test fills up: the API says "storage full" (507,
/// problem+json with the reason), sign-in still works, /healthz shows storage degraded, ingest never answers 204 for
/// data it cannot keep; once space is freed, what was held back is stored and survives a kill -9.
/// </summary>
public sealed class StorageFullTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _mount = Directory.CreateTempSubdirectory("storage-full-").FullName;
    private readonly bool _mounted;

    public StorageFullTests(ITestOutputHelper output)
    {
        _output = output;
        var (code, text) = Run("mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", _mount);
        Assert.True(code == 0, $"mounting a tmpfs needs root (mount answered {code}: {text})");
        _mounted = true;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (_mounted)
        {
            var (code, text) = Run("umount", _mount);
            if (code != 0)
            {
                _output.WriteLine($"umount answered {code}: {text}; unmounting lazily");
                Run("umount", "-l", _mount);
            }
        }

        try
        {
            Directory.Delete(_mount, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task A_full_disk_answers_507_keeps_sign_in_and_shows_storage_degraded_then_keeps_what_it_held_back()
    {
        var data = Path.Combine(_mount, "data");
        using var server = new ChildServer(data, new Dictionary<string, string> { ["Monitoring__Storage__MinFreeBytes"] = (1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var client = await server.StartAsync();
        try
        {
            await RunAsync(server, client, data);
        }
        catch
        {
            _output.WriteLine(server.RecentOutput);
            throw;
        }
        finally
        {
            client.Dispose();
        }
    }

    private async Task RunAsync(ChildServer server, Monitoring.Testing.SignedInClient client, string data)
    {
        var http = client.Http;
        Assert.Equal(HttpStatusCode.NoContent, await WriteAsync(http, "ups,device=ups-2 mode=4"));
        var alarm = await EventuallyAsync(
            async () => (await http.GetFromJsonAsync<JsonElement>("/api/alarms")).EnumerateArray().FirstOrDefault(a => a.GetProperty("ruleId").GetString() == "ups-on-battery"),
            a => a.ValueKind == JsonValueKind.Object,
            "the UPS alarm");
        var id = alarm.GetProperty("id").GetInt64();

        // fill the disk: the WAL is emptied first, so the next commit needs new space
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(data, "monitoring.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync();
        }

        var filler = Path.Combine(_mount, "filler");
        var filled = Fill(filler);
        _output.WriteLine($"filled {filled / 1024 / 1024} MiB; {new DriveInfo(_mount).AvailableFreeSpace} bytes left");

        // ingest: refused whole, with the reason, never 204
        using (var refused = await PostLinesAsync(http, "cpu,host=full value=1"))
        {
            Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("storage full", problem.GetProperty("title").GetString());
            Assert.Contains("free", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        // /healthz: storage degraded, with the reason
        var health = await http.GetFromJsonAsync<JsonElement>("/healthz");
        Assert.Equal("degraded", health.GetProperty("status").GetString());
        var storage = health.GetProperty("components").GetProperty("storage");
        Assert.Equal("degraded", storage.GetProperty("state").GetString());
        Assert.True(storage.GetProperty("full").GetBoolean());

        // sign-in still works
        using (var second = await server.SignInAsync())
        {
            Assert.Equal(HttpStatusCode.OK, (await second.Http.GetAsync("/api/alarms")).StatusCode);
        }

        // an alarm command: 2xx only if kept, otherwise 507 with the reason
        using (var ack = await http.PostAsJsonAsync($"/api/alarms/{id}/ack", new { comment = "on a full disk" }))
        {
            _output.WriteLine($"acknowledgement on a full disk answered {(int)ack.StatusCode}");
            Assert.True(ack.StatusCode is HttpStatusCode.OK or HttpStatusCode.InsufficientStorage, $"the acknowledgement answered {(int)ack.StatusCode}");
            if (ack.StatusCode == HttpStatusCode.InsufficientStorage)
            {
                Assert.Equal("application/problem+json", ack.Content.Headers.ContentType?.MediaType);
                Assert.Equal("storage full", (await ack.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
            }
        }

        // space comes back: storage recovers, the held-back acknowledgement is stored by the store's retries
        File.Delete(filler);
        await EventuallyAsync(
            async () => await http.GetFromJsonAsync<JsonElement>("/healthz"),
            h => !h.GetProperty("components").GetProperty("storage").GetProperty("full").GetBoolean(),
            "storage no longer full");

        // the timeline is read from the store (after a flush): the acknowledgement is in it once it is stored
        await EventuallyAsync(
            async () => await http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}"),
            d => d.GetProperty("timeline").EnumerateArray().Any(e => e.GetProperty("kind").GetString() == "acknowledged"),
            "the held-back acknowledgement in the stored timeline");
        Assert.Equal(HttpStatusCode.NoContent, await WriteAsync(http, "cpu,host=after value=2"));

        await server.KillAsync();
        client.Dispose();
        using var again = await server.StartAsync();
        var restored = (await again.Http.GetFromJsonAsync<JsonElement>($"/api/alarms/{id}")).GetProperty("alarm");
        Assert.True(restored.TryGetProperty("acknowledgement", out var kept) && kept.ValueKind == JsonValueKind.Object, "the acknowledgement held back by the full disk was not stored");
        Assert.Equal("on a full disk", kept.GetProperty("comment").GetString());
    }

    private static long Fill(string path)
    {
        var chunk = new byte[1024 * 1024];
        var written = 0L;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough);
        try
        {
            while (true)
            {
                file.Write(chunk);
                written += chunk.Length;
            }
        }
        catch (IOException)
        {
            // no space left: now fill the last bytes too
        }

        for (var size = 64 * 1024; size >= 1; size /= 2)
        {
            try
            {
                while (true)
                {
                    file.Write(chunk, 0, size);
                    written += size;
                }
            }
            catch (IOException)
            {
            }
        }

        return written;
    }

    private static async Task<HttpStatusCode> WriteAsync(HttpClient http, string lines)
    {
        using var response = await PostLinesAsync(http, lines);
        return response.StatusCode;
    }

    private static async Task<HttpResponseMessage> PostLinesAsync(HttpClient http, string lines)
    {
        using var content = new StringContent(lines, Encoding.UTF8, "text/plain");
        return await http.PostAsync(new Uri("/api/v2/write", UriKind.Relative), content);
    }

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        ServerFixture.EventuallyAsync(read, done, what, timeoutMs: 90_000);

    private static (int Code, string Text) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text);
    }
}
