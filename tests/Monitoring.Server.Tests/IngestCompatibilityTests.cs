using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Monitoring.Testing;

namespace Monitoring.Server.Tests;

/// <summary>
/// The write endpoints as real clients meet them: curl with each content type, no credential, InfluxDB's error shapes,
/// Telegraf's two outputs' headers, InfluxDB's own documented examples, and the refusals influxd makes for the same lines.
/// </summary>
public sealed class IngestCompatibilityTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string Server = "srv-b01-u04"; // a database server of the demo room
    private const string Switch = "asw-a01"; // an access switch of the demo room, ports GigabitEthernet0/0/1..48

    private readonly string _directory = Directory.CreateTempSubdirectory("ingest-compat-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static TheoryData<string?> ContentTypes => new()
    {
        { (string?)null }, // curl's default for --data-binary: application/x-www-form-urlencoded
        "application/octet-stream",
        "text/plain",
        "text/plain; charset=utf-8",
        string.Empty, // no Content-Type header at all
    };

    [Theory]
    [MemberData(nameof(ContentTypes))]
    public async Task Curl_writes_are_read_as_line_protocol_whatever_the_content_type(string? contentType)
    {
        var token = await CreateTokenAsync("curl", "samples:write");
        var field = "ct" + Math.Abs(StringComparer.Ordinal.GetHashCode(contentType ?? "default") % 100000);
        string[] headers = contentType is null ? [] : ["-H", "Content-Type:" + (contentType.Length == 0 ? string.Empty : " " + contentType)];

        var v1 = await CurlAsync("/write?db=noc", $"curl,device={Server} {field}=1", ["-H", "Authorization: Token " + token, .. headers]);
        var v2 = await CurlAsync("/api/v2/write?bucket=noc&org=noc", $"curl,device={Server} {field}=2", ["-H", "Authorization: Token " + token, .. headers]);

        Assert.True(v1.Status == 204, v1.ToString());
        Assert.True(v2.Status == 204, v2.ToString());
        if (contentType is null)
        {
            Assert.Contains("application/x-www-form-urlencoded", v1.Sent, StringComparison.OrdinalIgnoreCase);
        }

        await ServerFixture.EventuallyAsync(() => server.GetJsonAsync($"/api/devices/{Server}"), d => Value(d, "curl." + field) == 2, "the value written by curl");
    }

    [Fact]
    public async Task A_write_without_any_credential_answers_401_in_influxdbs_shapes_never_the_anti_forgery_400()
    {
        var v1 = await CurlAsync("/write?db=mydb", "cpu_load_short,host=server01,region=us-west value=0.64", []);
        var v2 = await CurlAsync("/api/v2/write?bucket=b&org=o", "cpu_load_short,host=server01,region=us-west value=0.64", []);
        var badToken = await CurlAsync("/api/v2/write?bucket=b", "cpu v=1", ["-H", "Authorization: Token mon_not_a_token"]);
        var badBasic = await CurlAsync("/write?db=mydb", "cpu v=1", ["-u", "telegraf:mon_not_a_token"]);

        Assert.Equal(401, v1.Status);
        Assert.Equal(401, v2.Status);
        Assert.Equal(401, badToken.Status);
        Assert.Equal(401, badBasic.Status);
        Assert.False(string.IsNullOrEmpty(V1Error(badBasic.Body)), badBasic.Body);
        Assert.Contains("Token", V1Error(v1.Body), StringComparison.Ordinal);
        Assert.Equal("unauthorized", V2Code(v2.Body));
        Assert.Equal("unauthorized", V2Code(badToken.Body));
        Assert.DoesNotContain("antiforgery", v1.Body + v2.Body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Errors_on_both_endpoints_have_influxdbs_shapes()
    {
        var writer = await CreateTokenAsync("shapes-writer", "samples:write");
        var reader = await CreateTokenAsync("shapes-reader", "read");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        foreach (var v1 in new[] { true, false })
        {
            var path = v1 ? "/write?db=noc" : "/api/v2/write?bucket=noc";
            using var forbidden = await SendAsync(http, path, "cpu v=1", reader);
            using var invalid = await SendAsync(http, path, "cpu v=oops", writer);
            using var tooLarge = await SendAsync(http, path, new string('#', 300_000), writer);
            using var brotli = await SendAsync(http, path, "cpu v=1", writer, encoding: "br");

            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, brotli.StatusCode);
            var bodies = new[] { forbidden, invalid, tooLarge, brotli }.Select(r => r.Content.ReadAsStringAsync().Result).ToArray();
            if (v1)
            {
                Assert.All(bodies, b => Assert.False(string.IsNullOrEmpty(V1Error(b)), b));
                Assert.Contains("line 1", V1Error(bodies[1]), StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(["forbidden", "invalid", "request too large", "unsupported media type"], bodies.Select(V2Code));
                Assert.All(bodies, b => Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(b).RootElement.GetProperty("message").GetString()), b));
            }
        }
    }

    [Fact]
    public async Task Timestamps_outside_influxdbs_range_and_a_time_field_are_refused_with_their_line_as_influxd_refuses_them()
    {
        var token = await CreateTokenAsync("range", "samples:write");
        using var influx = await PeerProcess.StartInfluxdAsync(Directory.CreateDirectory(Path.Combine(_directory, "influxd")).FullName);
        using var peer = new HttpClient { BaseAddress = new Uri(influx.Url) };
        using (var create = await peer.PostAsync("/query", new FormUrlEncodedContent([new("q", "CREATE DATABASE noc")])))
        {
            Assert.True(create.IsSuccessStatusCode, await create.Content.ReadAsStringAsync());
        }

        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        string[] refused = ["cpu v=1 9223372036854775807", "cpu v=1 -9223372036854775807", "cpu time=1", "cpu,time=x v=1"];
        string[] kept = ["cpu v=1 -9223372036854775806", $"cpu v=1 {(DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100}"];
        foreach (var line in refused.Concat(kept))
        {
            var body = $"range,host=a ok=1\n{line}\n";
            using var theirs = await peer.PostAsync("/write?db=noc", new StringContent(body));
            using var v1 = await SendAsync(http, "/write?db=noc", body, token);
            using var v2 = await SendAsync(http, "/api/v2/write?bucket=noc", body, token);
            var expected = refused.Contains(line) ? HttpStatusCode.BadRequest : HttpStatusCode.NoContent;

            Assert.True(expected == theirs.StatusCode, $"influxd answered {theirs.StatusCode} to '{line}': {await theirs.Content.ReadAsStringAsync()}");
            Assert.True(expected == v1.StatusCode, $"/write answered {v1.StatusCode} to '{line}': {await v1.Content.ReadAsStringAsync()}");
            Assert.True(expected == v2.StatusCode, $"/api/v2/write answered {v2.StatusCode} to '{line}': {await v2.Content.ReadAsStringAsync()}");
            if (expected == HttpStatusCode.BadRequest)
            {
                foreach (var answer in new[] { v1, v2 })
                {
                    var error = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement;
                    Assert.Equal(1, error.GetProperty("linesWritten").GetInt32());
                    Assert.Equal(2, error.GetProperty("errors")[0].GetProperty("line").GetInt32());
                    Assert.Contains("line 2", error.GetProperty(answer == v1 ? "error" : "message").GetString(), StringComparison.Ordinal);
                }
            }
        }

        // where we differ on purpose (docs/API.md): influxd 1.x drops a `time` field silently when the line has others, we
        // refuse the line; influxd keeps a point dated 2262, we refuse what is more than MaxFutureSeconds ahead
        foreach (var (line, reason) in new[] { ("cpu v=1,time=2", "invalid field key 'time'"), ("cpu v=1 9223372036854775806", "MaxFutureSeconds") })
        {
            using var theirs = await peer.PostAsync("/write?db=noc", new StringContent(line + "\n"));
            using var ours = await SendAsync(http, "/write?db=noc", line + "\n", token);
            Assert.Equal(HttpStatusCode.NoContent, theirs.StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, ours.StatusCode);
            Assert.Contains(reason, await ours.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_corrupt_gzip_body_says_it_could_not_be_decompressed()
    {
        var token = await CreateTokenAsync("gzip-corrupt", "samples:write");
        var corrupt = Gzip($"memory,device={Server} usage=1\n");
        corrupt.AsSpan(10, corrupt.Length - 10).Fill(0xff);

        var answer = await CurlAsync("/api/v2/write?bucket=b", corrupt, ["-H", "Authorization: Token " + token, "-H", "Content-Encoding: gzip"]);

        Assert.Equal(400, answer.Status);
        Assert.Equal("invalid", V2Code(answer.Body));
        Assert.Contains("the gzip body could not be decompressed", answer.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cut at 30 %")]
    [InlineData("without its trailer")]
    [InlineData("without half its trailer")]
    public async Task A_truncated_gzip_body_is_refused_whole_and_nothing_of_it_is_written(string how)
    {
        var token = await CreateTokenAsync("gzip-cut", "samples:write");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var field = "cut" + how.Length;
        var body = string.Concat(Enumerable.Range(0, 3000).Select(i => $"truncated,device={Server} {field}={i}\n"));
        var full = Gzip(body);
        var cut = how switch
        {
            "cut at 30 %" => full[..(full.Length * 3 / 10)],
            "without its trailer" => full[..^8],
            _ => full[..^4],
        };

        using var answer = await SendAsync(http, "/api/v2/write?bucket=b", cut, token, encoding: "gzip");
        using var marker = await SendAsync(http, "/api/v2/write?bucket=b", Gzip($"truncated,device={Server} marker{field}=1\n"), token, encoding: "gzip");

        var text = await answer.Content.ReadAsStringAsync();
        Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, text);
        Assert.Contains("the gzip body could not be decompressed", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, marker.StatusCode);
        var device = await ServerFixture.EventuallyAsync(() => server.GetJsonAsync($"/api/devices/{Server}"), d => Value(d, $"truncated.marker{field}") == 1, "the marker written after");
        Assert.Null(Value(device, "truncated." + field)); // the pipeline keeps order: had any line of the cut body been written, it would show
    }

    [Fact]
    public async Task Telegraf_writes_through_both_outputs_are_kept()
    {
        var token = await CreateTokenAsync("telegraf", "samples:write");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var now = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100;
        string Batch(int value) =>
            $"cpu,cpu=cpu-total,device={Server},host=telegraf-01 usage_idle={value}.5,usage_user=1.25 {now}\n" +
            $"interface,device={Switch},port=GigabitEthernet0/0/12 oper_status=1i,in_bps={value}i {now}\n" +
            $"system,host=telegraf-01 load1=0.{value},uptime={value}u,n_users=2i {now}\n";

        // outputs.influxdb (v1): text/plain; charset=utf-8, Telegraf's User-Agent, Basic auth (the token as password), optional gzip
        foreach (var (value, gzip) in new[] { (61, false), (62, true) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/write?db=telegraf&rp=autogen");
            request.Headers.UserAgent.ParseAdd("Telegraf/1.34.1 Go/1.24.2");
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("telegraf:" + token)));
            request.Content = new ByteArrayContent(gzip ? Gzip(Batch(value)) : Encoding.UTF8.GetBytes(Batch(value)));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; charset=utf-8");
            if (gzip)
            {
                request.Content.Headers.ContentEncoding.Add("gzip");
            }

            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
            Assert.Equal("1", Header(response, "X-Monitoring-Freeform-Lines")); // the system line has no device tag
        }

        // outputs.influxdb_v2: Authorization: Token, gzip, text/plain; charset=utf-8, bucket and org in the query
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/write?bucket=telegraf&org=noc"))
        {
            request.Headers.UserAgent.ParseAdd("Telegraf/1.34.1 Go/1.24.2");
            request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
            request.Content = new ByteArrayContent(Gzip(Batch(63)));
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; charset=utf-8");
            request.Content.Headers.ContentEncoding.Add("gzip");
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
        }

        var detail = await ServerFixture.EventuallyAsync(() => server.GetJsonAsync($"/api/devices/{Server}"), d => Value(d, "cpu.usage_idle") == 63.5, "the v2 output's value");
        Assert.Equal(1.25, Value(detail, "cpu.usage_user"));
        var sw = await server.GetJsonAsync($"/api/devices/{Switch}");
        var port = sw.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("index").GetInt32() == 12);
        Assert.Contains(port.GetProperty("values").EnumerateArray(), v => v.GetProperty("metric").GetString() == "interface.in_bps" && v.GetProperty("value").GetDouble() == 63);
    }

    [Fact]
    public async Task InfluxDBs_reference_examples_are_accepted_on_both_endpoints()
    {
        var token = await CreateTokenAsync("reference", "samples:write");
        string[] examples =
        [
            "cpu_load_short,host=server01,region=us-west value=0.64 1434055562000000000",
            "cpu_load_short,host=server02 value=0.67\ncpu_load_short,host=server02,region=us-west value=0.55 1422568543702900257\ncpu_load_short,direction=in,host=server01,region=us-west value=2.0 1422568543702900257",
            "weather,location=us-midwest temperature=82 1465839830100400200",
            "myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\" 1556813561098000000",
            "measurementName,tagKey=tagValue fieldKey=1i 1556813561098000000",
            "home,room=Living\\ Room temp=21.1,hum=35.9,co=0i 1641024000",
        ];
        foreach (var example in examples)
        {
            var precision = example.StartsWith("home", StringComparison.Ordinal) ? "s" : "ns";
            var v1 = await CurlAsync($"/write?db=mydb&precision={precision}", example, ["-H", "Authorization: Token " + token]);
            var v2 = await CurlAsync($"/api/v2/write?bucket=mydb&org=o&precision={precision}", example, ["-H", "Authorization: Token " + token]);

            Assert.True(v1.Status == 204, v1.ToString());
            Assert.True(v2.Status == 204, v2.ToString());
            Assert.Contains("X-Monitoring-Freeform-Lines: " + example.Split('\n').Length, v1.Headers, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_line_naming_an_unknown_device_is_reported_in_the_answer()
    {
        var token = await CreateTokenAsync("unknown-device", "samples:write");

        var known = await CurlAsync("/api/v2/write?bucket=b", $"memory,device={Server} usage=12", ["-H", "Authorization: Token " + token]);
        var unknown = await CurlAsync("/api/v2/write?bucket=b", $"memory,device=srv-b01 usage=12\nmemory,device={Server} usage=13\nmemory,host=x usage=1", ["-H", "Authorization: Token " + token]);

        Assert.Equal(204, known.Status);
        Assert.DoesNotContain("X-Monitoring-Freeform-Lines", known.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(204, unknown.Status);
        Assert.Contains("X-Monitoring-Freeform-Lines: 2", unknown.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Monitoring-Unknown-Device-Lines: 1", unknown.Headers, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("X-Monitoring-Unknown-Device: srv-b01", unknown.Headers, StringComparison.OrdinalIgnoreCase);
        var health = await server.GetJsonAsync("/healthz");
        Assert.True(health.GetProperty("components").GetProperty("ingest").GetProperty("unknownDeviceLines").GetInt64() >= 1);
    }

    [Fact]
    public async Task Every_device_named_in_the_api_guide_exists_in_the_demo_room()
    {
        var guide = await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "API.md"));
        var named = System.Text.RegularExpressions.Regex.Matches(guide, @"device=([A-Za-z0-9_\-]+)").Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.NotEmpty(named);
        Assert.All(named, id => Assert.True(server.Inventory.FindDevice(id) is not null, $"docs/API.md names device '{id}', which the demo room does not have"));
    }

    [Fact]
    public async Task A_tag_value_over_its_bound_is_refused_naming_the_bound()
    {
        var token = await CreateTokenAsync("big-tag", "samples:write");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };

        using var answer = await SendAsync(http, "/api/v2/write?bucket=b", $"security,host={new string('x', 20_000)} threats=0i\nsecurity,host=ok threats=0i\n", token);

        var text = await answer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains("MaxTagValueBytes", text, StringComparison.Ordinal);
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("linesWritten").GetInt32());
    }

    [Fact]
    public async Task A_line_dated_in_2200_is_refused_with_the_reason_and_never_reaches_the_live_state()
    {
        var token = await CreateTokenAsync("future", "samples:write");
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var year2200 = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

        using var future = await SendAsync(http, "/write?db=noc&precision=s", $"interface,device={Switch},port=30 oper_status=2i {year2200}\n", token);
        using var present = await SendAsync(http, "/write?db=noc", $"interface,device={Switch},port=30 oper_status=1i\n", token);

        var text = await future.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);
        Assert.Contains("timestamp 2200-01-01T00:00:00Z is", text, StringComparison.Ordinal);
        Assert.Contains("MaxFutureSeconds", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NoContent, present.StatusCode);
        await ServerFixture.EventuallyAsync(() => server.GetJsonAsync($"/api/devices/{Switch}"),
            d => d.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("index").GetInt32() == 30).GetProperty("status").GetString() == "ok",
            "the present value to set the port's status");
        var health = await server.GetJsonAsync("/healthz");
        Assert.True(health.GetProperty("components").GetProperty("ingest").GetProperty("linesInFuture").GetInt64() >= 1);
    }

    internal static double? Value(JsonElement device, string metric) =>
        device.GetProperty("values").EnumerateArray().Where(v => v.GetProperty("metric").GetString() == metric).Select(v => (double?)v.GetProperty("value").GetDouble()).FirstOrDefault();

    internal static string? V1Error(string body) => JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();

    internal static string? V2Code(string body) => JsonDocument.Parse(body).RootElement.GetProperty("code").GetString();

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    internal static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    internal static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string body, string token, string? encoding = null) =>
        SendAsync(http, path, Encoding.UTF8.GetBytes(body), token, encoding);

    internal static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, byte[] body, string token, string? encoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", token);
        if (encoding is not null)
        {
            request.Content.Headers.ContentEncoding.Add(encoding);
        }

        return await http.SendAsync(request);
    }

    private async Task<string> CreateTokenAsync(string name, string scope)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/tokens", new { name = name + "-" + Guid.NewGuid().ToString("N")[..6], scopes = new[] { scope } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("secret").GetString()!;
    }

    private Task<CurlAnswer> CurlAsync(string path, string body, string[] arguments) => CurlAsync(path, Encoding.UTF8.GetBytes(body), arguments);

    /// <summary>Runs the real curl: <c>curl -s -v -i -XPOST URL --data-binary @file ...</c>.</summary>
    private async Task<CurlAnswer> CurlAsync(string path, byte[] body, string[] arguments)
    {
        var file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".lp");
        await File.WriteAllBytesAsync(file, body);
        var start = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-s", "-v", "-i", "-XPOST", new Uri(server.BaseAddress, path).ToString(), "--data-binary", "@" + file, .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("curl did not start: apt-get install -y curl");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var text = await output;
        Assert.True(process.ExitCode == 0, $"curl exited with {process.ExitCode}: {await error}");
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = split < 0 ? text : text[..split];
        var status = int.Parse(headers.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new CurlAnswer(status, headers, split < 0 ? string.Empty : text[(split + 4)..], await error);
    }

    private static string RepoRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Monitoring.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed record CurlAnswer(int Status, string Headers, string Body, string Sent)
    {
        public override string ToString() => $"{Status}\n{Headers}\n{Body}";
    }
}
