using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Metrics;

/// <summary>
/// The demo room with an InfluxDB target nobody listens on (so its disk backlog grows): the server's own figures, polls
/// by protocol, alarms, HTTP and SignalR from ASP.NET Core's meters, process and runtime figures all reach /metrics.
/// </summary>
public sealed class MetricsDemoFixture : ServerFixture
{
    public MetricsDemoFixture()
        : base([
            "--Monitoring:Simulator:IntervalSeconds", "1", "--Monitoring:Snmp:IntervalSeconds", "2",
            "--Monitoring:Influx:Targets:0:Name", "unreachable", "--Monitoring:Influx:Targets:0:Url", $"http://127.0.0.1:{PeerProcess.FreePort()}",
            "--Monitoring:Influx:Targets:0:Version", "2", "--Monitoring:Influx:Targets:0:Org", "noc", "--Monitoring:Influx:Targets:0:Bucket", "monitoring",
            "--Monitoring:Influx:Targets:0:Token", "t"])
    {
    }

    public override bool Simulator => true;
}

public sealed class MetricsEndpointTests(MetricsDemoFixture server) : IClassFixture<MetricsDemoFixture>
{
    /// <summary>Family name → must some sample of it be above zero (gauges that may read 0 in a healthy demo: false).</summary>
    private static readonly (string Family, bool NonZero)[] Families =
    [
        ("monitoring_pipeline_samples_in", true),
        ("monitoring_samples_ingested", true),
        ("monitoring_pipeline_samples_processed", true),
        ("monitoring_polls", true),
        ("monitoring_poll_duration_seconds_bucket", true),
        ("monitoring_poll_duration_seconds_count", true),
        ("monitoring_poll_slip_seconds_count", true),
        ("monitoring_alarm_evaluations", true),
        ("monitoring_alarms", false),
        ("monitoring_alarm_latency_seconds_bucket", true),
        ("monitoring_alarm_latency_seconds_count", true),
        ("monitoring_influx_backlog_bytes", true),
        ("monitoring_influx_backlog_points", true),
        ("monitoring_influx_backlog_oldest_seconds", true),
        ("monitoring_history_flush_seconds_bucket", true),
        ("monitoring_history_flush_seconds_count", true),
        ("monitoring_history_flush_seconds_sum", true),
        ("monitoring_history_flushed_samples", true),
        ("monitoring_hub_connections", true),
        ("monitoring_hub_send_queue_bytes", false),
        ("monitoring_hub_send_queue_max_bytes", false),
        ("monitoring_hub_send_queue_messages", false),
        ("monitoring_hub_send_queue_max_messages", false),
        ("monitoring_hub_send_queue_peak_bytes", true),
        ("monitoring_hub_send_queue_depth_bytes_count", true),
        ("monitoring_hub_resyncs", false),
        ("monitoring_component_up", true),
        ("microsoft_aspnetcore_hosting_http_server_request_duration_count", true),
        ("microsoft_aspnetcore_http_connections_current_connections", true),
        ("process_cpu_seconds_total", true),
        ("process_working_set_bytes", true),
        ("system_runtime_dotnet_gc_heap_total_allocated", true),
    ];

    [Fact]
    public async Task A_metrics_token_scrapes_every_family_with_values_and_promtool_accepts_the_text()
    {
        var secret = await CreateTokenAsync("prometheus", "metrics");
        using var scraper = new HttpClient { BaseAddress = server.BaseAddress };
        scraper.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        await using var hub = await server.ConnectHubAsync();
        await hub.InvokeAsync("JoinRoom", "demo");

        // a pushed port-down raises an alarm (input to console: the alarm latency), pushed line protocol is its own source
        var sw = server.FirstSwitch();
        using (var write = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent($"interface,device={sw.Id},port={sw.Model.Ports[5].Index} admin_status=1i,oper_status=2i\n")))
        {
            Assert.Equal(HttpStatusCode.NoContent, write.StatusCode);
        }

        // the demo has polled every protocol, the history has flushed and the unreachable InfluxDB target holds a backlog
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var text = await ServerFixture.EventuallyAsync(
            () => scraper.GetStringAsync("/metrics"),
            t => Complete(t) || DateTime.UtcNow > deadline,
            "every family on /metrics with values",
            timeoutMs: 90_000);
        Assert.True(Complete(text), $"missing or zero: {string.Join(", ", Missing(text))}; collectors: {string.Join(", ", Collectors(text))}; sources: {string.Join(", ", Sources(text))}\n{text}");

        Assert.True(Missing(text).Count == 0, "missing or zero: " + string.Join(", ", Missing(text)) + "\n" + text);
        Assert.Superset(new HashSet<string> { "snmp", "modbus" }, Collectors(text));
        Assert.Superset(Ingested, Sources(text));
        Assert.True(text.Contains("monitoring_alarm_latency_seconds_count{kind=\"raised\"}", StringComparison.Ordinal), "alarm latency: " + string.Join(" | ", text.Split('\n').Where(l => l.Contains("_count{kind", StringComparison.Ordinal) && !l.StartsWith('#'))));
        Assert.Contains("monitoring_influx_backlog_oldest_seconds{target=\"unreachable\"}", text, StringComparison.Ordinal);
        Assert.Contains("monitoring_alarms{state=\"raised\"}", text, StringComparison.Ordinal);
        await PromtoolAsync(text);

        // OpenMetrics on request
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0");
        using var open = await scraper.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        Assert.Equal("application/openmetrics-text", open.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("# EOF\n", await open.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_refuses_the_anonymous_caller_and_a_token_without_the_scope_and_answers_an_administrator()
    {
        using var anonymous = new HttpClient { BaseAddress = server.BaseAddress };
        using (var response = await anonymous.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var reader = await CreateTokenAsync("grafana", "read");
        using var withRead = new HttpClient { BaseAddress = server.BaseAddress };
        withRead.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", reader);
        using (var response = await withRead.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using var operatorClient = await server.SignInAsync("metrics-operator", Monitoring.Server.Security.Role.Operator);
        using (var response = await operatorClient.Http.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        using (var response = await server.Http.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("monitoring_pipeline_samples_in ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private static bool Complete(string text) => Missing(text).Count == 0 && Collectors(text).IsSupersetOf(["snmp", "modbus"]) && Sources(text).IsSupersetOf(Ingested);

    /// <summary>
    /// The sources of the demo run (its SNMP and Modbus simulators polled, its MQTT probes) and the test's own push. The
    /// demo's line-protocol feed writes nothing here: every demo device is served by a protocol simulator.
    /// </summary>
    private static readonly HashSet<string> Ingested = ["snmp", "modbus", "mqtt", "line_protocol"];

    /// <summary>The source labels of samples-ingested with a value above zero.</summary>
    private static HashSet<string> Sources(string text) =>
        [.. text.Split('\n').Where(l => l.StartsWith("monitoring_samples_ingested{", StringComparison.Ordinal) && !l.EndsWith(" 0", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("source=\"", StringComparison.Ordinal) + 8)..]).Select(l => l[..l.IndexOf('"', StringComparison.Ordinal)])];

    /// <summary>Families absent, or (where they must have values) with no sample above zero.</summary>
    private static List<string> Missing(string text)
    {
        var samples = Samples(text);
        return [.. Families.Where(f => !samples.TryGetValue(f.Family, out var values) || (f.NonZero && !values.Any(v => v > 0))).Select(f => f.Family)];
    }

    /// <summary>The collector labels of the poll-duration histogram.</summary>
    private static HashSet<string> Collectors(string text) =>
        [.. text.Split('\n').Where(l => l.StartsWith("monitoring_poll_duration_seconds_count{", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("collector=\"", StringComparison.Ordinal) + 11)..]).Select(l => l[..l.IndexOf('"', StringComparison.Ordinal)])];

    /// <summary>Sample name → its values, from the text format (labels stripped).</summary>
    private static Dictionary<string, List<double>> Samples(string text)
    {
        var result = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var end = line.IndexOfAny(['{', ' ']);
            var valueStart = line.LastIndexOf('}') is var brace and >= 0 ? brace + 2 : end + 1;
            var valueText = line[valueStart..].Split(' ')[0];
            if (end > 0 && double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                var name = line[..end];
                if (!result.TryGetValue(name, out var list))
                {
                    result[name] = list = [];
                }

                list.Add(value);
            }
        }

        return result;
    }

    private static async Task PromtoolAsync(string text)
    {
        const string promtool = "/usr/bin/promtool";
        Assert.True(File.Exists(promtool), "promtool is not installed: apt-get install -y prometheus");
        var start = new ProcessStartInfo(promtool, "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        var output = await stdout + await stderr;

        // promtool exits 1 when the text does not parse, 3 when it parses but lint finds names it dislikes: the
        // runtime's own meters (dotnet.assembly.count → *_count, ...) trip the lint, the server's families must not
        Assert.True(process.ExitCode is 0 or 3, $"promtool check metrics exited {process.ExitCode}: {output}");
        var ours = output.Split('\n').Where(l => l.StartsWith("monitoring_", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.True(ours.Count == 0, "promtool: " + string.Join("\n", ours));
    }

    private async Task<string> CreateTokenAsync(string name, string scope)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/tokens", new { name, scopes = new[] { scope } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"creating a {scope} token answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("secret").GetString()!;
    }
}
