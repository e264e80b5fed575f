using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests;

public sealed class HistoryFixture : ServerFixture
{
    public HistoryFixture()
        : base(["--Monitoring:History:FlushIntervalMs", "100"])
    {
    }
}

public sealed class HistoryApiTests(HistoryFixture server) : IClassFixture<HistoryFixture>
{
    private const int Minutes = 300;

    [Fact]
    public async Task Hours_written_through_line_protocol_come_back_raw_and_rolled_up()
    {
        var device = server.FirstWithMetric("cpu.usage");
        var start = HourFloor(DateTimeOffset.UtcNow).AddHours(-5);
        var values = Enumerable.Range(0, Minutes).Select(i => (Time: start.AddMinutes(i).AddSeconds(15), Value: (double)(i % 50))).ToArray();
        await WriteAsync(values.Select(v => $"cpu,device={device.Id} usage={v.Value.ToString(CultureInfo.InvariantCulture)} {Ns(v.Time)}"));
        var end = start.AddHours(5);

        // 5 h: raw samples, every one of them
        var raw = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync(Query(device.Id, "cpu.usage", start, end)),
            r => r.GetProperty("points").GetArrayLength() == Minutes, "the raw samples");
        Assert.Equal("raw", raw.GetProperty("tier").GetString());
        Assert.Equal(values.Select(v => v.Time.ToUnixTimeMilliseconds()), raw.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetInt64()));
        Assert.Equal(values.Select(v => v.Value), raw.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("last").GetDouble()));

        // 7 h: 1-minute rollups, one per minute, each of the one sample in it
        var minute = await server.GetJsonAsync(Query(device.Id, "cpu.usage", start.AddHours(-2), end));
        Assert.Equal("1m", minute.GetProperty("tier").GetString());
        Assert.Equal(60, minute.GetProperty("stepSeconds").GetDouble());
        Assert.Equal(values.Select(v => HourFloorMinute(v.Time).ToUnixTimeMilliseconds()), minute.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetInt64()));

        // 8 days: 1-hour rollups, five hours of 60 samples
        var hourly = await server.GetJsonAsync(Query(device.Id, "cpu.usage", end.AddDays(-8), end));
        Assert.Equal("1h", hourly.GetProperty("tier").GetString());
        var hours = hourly.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(5, hours.Length);
        for (var h = 0; h < 5; h++)
        {
            var inHour = values.Skip(h * 60).Take(60).ToArray();
            Assert.Equal(start.AddHours(h).ToUnixTimeMilliseconds(), hours[h].GetProperty("t").GetInt64());
            Assert.Equal(60, hours[h].GetProperty("count").GetInt64());
            Assert.Equal(inHour.Average(v => v.Value), hours[h].GetProperty("avg").GetDouble(), 9);
            Assert.Equal(inHour.Min(v => v.Value), hours[h].GetProperty("min").GetDouble());
            Assert.Equal(inHour.Max(v => v.Value), hours[h].GetProperty("max").GetDouble());
            Assert.Equal(inHour[^1].Value, hours[h].GetProperty("last").GetDouble());
        }

        // a step re-buckets: 5 h at 30 minutes = 10 buckets of 30 samples
        var stepped = await server.GetJsonAsync(Query(device.Id, "cpu.usage", start, end) + "&step=30m");
        Assert.Equal(1800, stepped.GetProperty("stepSeconds").GetDouble());
        var buckets = stepped.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(10, buckets.Length);
        Assert.All(buckets, b => Assert.Equal(30, b.GetProperty("count").GetInt64()));
        Assert.Equal(values.Take(30).Average(v => v.Value), buckets[0].GetProperty("avg").GetDouble(), 9);
    }

    [Fact]
    public async Task A_port_series_is_found_by_port_index_or_name()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[2];
        var start = HourFloor(DateTimeOffset.UtcNow).AddHours(-2);
        var values = Enumerable.Range(0, 20).Select(i => (Time: start.AddMinutes(i * 3), Value: 1000.0 * i)).ToArray();
        await WriteAsync(values.Select(v => $"interface,device={sw.Id},port={port.Index} in_bps={v.Value.ToString(CultureInfo.InvariantCulture)} {Ns(v.Time)}"));

        var byIndex = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync(Query(sw.Id, "interface.in_bps", start, start.AddHours(1)) + $"&port={port.Index}"),
            r => r.GetProperty("points").GetArrayLength() == 20, "the port's samples");
        var byName = await server.GetJsonAsync(Query(sw.Id, "interface.in_bps", start, start.AddHours(1)) + $"&port={Uri.EscapeDataString(port.Name)}");
        var deviceScope = await server.GetJsonAsync(Query(sw.Id, "interface.in_bps", start, start.AddHours(1)));

        Assert.Equal(port.Index, byIndex.GetProperty("port").GetInt32());
        Assert.Equal(values.Select(v => v.Value), byIndex.GetProperty("points").EnumerateArray().Select(p => p.GetProperty("last").GetDouble()));
        Assert.Equal(20, byName.GetProperty("points").GetArrayLength());
        Assert.Equal(0, deviceScope.GetProperty("points").GetArrayLength());
    }

    [Theory]
    [InlineData("metric=cpu.usage", "device")]
    [InlineData("device={0}", "metric")]
    [InlineData("device={0}&metric=cpu.usage&from=yesterday", "from")]
    [InlineData("device={0}&metric=cpu.usage&to=soon", "to")]
    [InlineData("device={0}&metric=cpu.usage&from=2026-11-22T10:00:00Z&to=2026-11-22T09:00:00Z", "from")]
    [InlineData("device={0}&metric=cpu.usage&step=abc", "step")]
    [InlineData("device={0}&metric=cpu.usage&step=0", "step")]
    [InlineData("device={0}&metric=cpu.usage&port=nope", "port")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string parameter)
    {
        var device = server.FirstWithMetric("cpu.usage");

        using var response = await server.Http.GetAsync("/api/series?" + string.Format(CultureInfo.InvariantCulture, query, device.Id));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains($"'{parameter}'", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_device_or_metric_is_a_404()
    {
        var device = server.FirstWithMetric("cpu.usage");

        using var noDevice = await server.Http.GetAsync("/api/series?device=no-such-device&metric=cpu.usage");
        using var noMetric = await server.Http.GetAsync($"/api/series?device={device.Id}&metric=no.such_metric");
        using var known = await server.Http.GetAsync($"/api/series?device={device.Id}&metric=cpu.usage");

        Assert.Equal(HttpStatusCode.NotFound, noDevice.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, noMetric.StatusCode);
        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_series_query()
    {
        var document = await server.GetJsonAsync("/openapi/v1.json");

        var get = document.GetProperty("paths").GetProperty("/api/series").GetProperty("get");
        var names = get.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["device", "metric", "port", "from", "to", "step"], names);
        Assert.True(get.GetProperty("responses").TryGetProperty("400", out _));
    }

    private async Task WriteAsync(IEnumerable<string> lines)
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(string.Join('\n', lines) + "\n", Encoding.UTF8));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private static string Query(string device, string metric, DateTimeOffset from, DateTimeOffset to) =>
        $"/api/series?device={Uri.EscapeDataString(device)}&metric={metric}&from={from.ToUnixTimeMilliseconds()}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}";

    private static long Ns(DateTimeOffset time) => time.ToUnixTimeMilliseconds() * 1_000_000;

    private static DateTimeOffset HourFloor(DateTimeOffset time) => new(time.Year, time.Month, time.Day, time.Hour, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset HourFloorMinute(DateTimeOffset time) => new(time.Year, time.Month, time.Day, time.Hour, time.Minute, 0, TimeSpan.Zero);
}
