using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests.Metrics;

/// <summary>
/// docs/telegraf.conf's output, byte for byte as Telegraf's influxdb_v2 output sends it: one gzip-compressed batch of
/// cpu, mem and disk lines (the input plugins' own field names) to /api/v2/write with `Authorization: Token`.
/// </summary>
public sealed class TelegrafRequestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_sample_telegraf_conf_batch_is_accepted_and_its_values_reach_the_device()
    {
        var conf = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "telegraf.conf"));
        Assert.Contains("[[outputs.influxdb_v2]]", conf, StringComparison.Ordinal);
        Assert.Contains("token = \"$MONITORING_TOKEN\"", conf, StringComparison.Ordinal);
        Assert.Contains("content_encoding = \"gzip\"", conf, StringComparison.Ordinal);
        var device = Setting(conf, "device");
        var bucket = Setting(conf, "bucket");
        var org = Setting(conf, "organization");
        Assert.NotNull(server.Inventory.FindDevice(device));

        using var created = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "telegraf-host", scopes = new[] { "samples:write" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var token = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() * 1_000_000_000;
        var body = new StringBuilder()
            .Append(CultureInvariant($"cpu,cpu=cpu-total,device={device},host=noc-a01 usage_guest=0,usage_guest_nice=0,usage_idle=91.25,usage_iowait=0.5,usage_irq=0,usage_nice=0,usage_softirq=0.125,usage_steal=0,usage_system=2.625,usage_user=5.5 {now}\n"))
            .Append(CultureInvariant($"mem,device={device},host=noc-a01 active=4096000000i,available=10737418240i,available_percent=62.5,buffered=204800000i,cached=3072000000i,free=6442450944i,inactive=2048000000i,total=17179869184i,used=6442450944i,used_percent=37.5 {now}\n"))
            .Append(CultureInvariant($"disk,device=sda1,fstype=ext4,host=noc-a01,mode=rw,path=/ free=53687091200i,inodes_free=3000000i,inodes_total=6553600i,inodes_used=3553600i,total=107374182400i,used=53687091200i,used_percent=50.25 {now}\n"))
            .ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v2/write?bucket={bucket}&org={org}");
        request.Headers.TryAddWithoutValidation("Authorization", "Token " + token);
        request.Headers.TryAddWithoutValidation("User-Agent", "Telegraf/1.28.5 Go/1.21.6");
        request.Content = new ByteArrayContent(Gzip(body));
        request.Content.Headers.TryAddWithoutValidation("Content-Type", "text/plain; charset=utf-8");
        request.Content.Headers.ContentEncoding.Add("gzip");
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };

        using var response = await anonymous.SendAsync(request);

        Assert.True(response.StatusCode == HttpStatusCode.NoContent, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var detail = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device}"),
            d => Value(d, "cpu.usage_user") == 5.5 && Value(d, "mem.used_percent") == 37.5,
            "cpu.usage_user and mem.used_percent on the device");
        Assert.Equal(91.25, Value(detail, "cpu.usage_idle"));
    }

    private static double? Value(JsonElement device, string metric) =>
        device.GetProperty("values").EnumerateArray().Where(v => v.GetProperty("metric").GetString() == metric)
            .Select(v => (double?)v.GetProperty("value").GetDouble()).FirstOrDefault();

    private static string CultureInvariant(FormattableString text) => FormattableString.Invariant(text);

    private static string Setting(string conf, string key)
    {
        var line = conf.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith(key + " ", StringComparison.Ordinal) || l.StartsWith(key + "=", StringComparison.Ordinal));
        return line[(line.IndexOf('"', StringComparison.Ordinal) + 1)..line.LastIndexOf('"')];
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("the repository root (Monitoring.sln) was not found above " + AppContext.BaseDirectory);
    }
}
