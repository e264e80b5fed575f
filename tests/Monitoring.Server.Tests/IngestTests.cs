using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests;

public sealed class IngestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_port_going_down_turns_the_port_down_and_the_device_to_warning()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[11];

        await WriteAsync($"interface,device={sw.Id},port={port.Index} admin_status=1i,oper_status=1i\n");
        await WriteAsync($"interface,device={sw.Id},port={port.Index} oper_status=2i\n");

        var room = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync("/api/rooms/demo"),
            r => PortStatus(r, sw.Id, 11) == "down",
            "the port to turn down");
        Assert.Equal("warning", Device(room, sw.Id).GetProperty("status").GetString());

        await WriteAsync($"interface,device={sw.Id},port={port.Index} oper_status=1i\n");
        await ServerFixture.EventuallyAsync(() => server.GetJsonAsync("/api/rooms/demo"), r => PortStatus(r, sw.Id, 11) == "ok", "the port to come back");
    }

    [Fact]
    public async Task An_administratively_down_port_is_not_a_fault()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[20];

        await WriteAsync($"interface,device={sw.Id},port={port.Index} admin_status=2i,oper_status=2i\n");

        var room = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{sw.Id}"),
            d => d.GetProperty("ports")[20].GetProperty("values").GetArrayLength() == 2,
            "both port values");
        Assert.Equal("unknown", room.GetProperty("ports")[20].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_port_can_be_named_as_the_model_names_it()
    {
        var sw = server.FirstSwitch();
        var port = sw.Model.Ports[5];

        await WriteAsync($"interface,device={sw.Id},port={Escape(port.Name)} in_bps=1234567\n");

        var detail = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{sw.Id}"),
            d => d.GetProperty("ports")[5].GetProperty("values").EnumerateArray().Any(v => v.GetProperty("metric").GetString() == "interface.in_bps"),
            "the value on the named port");
        Assert.Equal(1234567, detail.GetProperty("ports")[5].GetProperty("values").EnumerateArray().Single(v => v.GetProperty("metric").GetString() == "interface.in_bps").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task A_partial_write_keeps_the_good_lines_and_names_the_bad_ones()
    {
        var device = server.FirstWithMetric("memory.usage");
        var body = $"memory,device={device.Id} usage=12.5\nmemory,device={device.Id} usage=12x\n\nmemory,device={device.Id}\n";

        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("invalid", error.GetProperty("code").GetString());
        Assert.Equal(1, error.GetProperty("linesWritten").GetInt32());
        var lines = error.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt32()).ToArray();
        Assert.Equal([2, 4], lines);
        Assert.Contains("line 2", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("values").EnumerateArray().Any(v => v.GetProperty("metric").GetString() == "memory.usage" && v.GetProperty("value").GetDouble() == 12.5),
            "the good line's value");
    }

    [Fact]
    public async Task Gzip_bodies_are_accepted_on_both_write_apis()
    {
        var device = server.FirstWithMetric("memory.usage");
        var bytes = Gzip($"memory,device={device.Id} usage=33.25\n");
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentEncoding.Add("gzip");
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");

        using var response = await server.Http.PostAsync("/write?db=telegraf", content);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("values").EnumerateArray().Any(v => v.GetProperty("value").GetDouble() == 33.25),
            "the gzipped value");
    }

    [Fact]
    public async Task A_corrupt_gzip_body_is_refused_with_a_reason()
    {
        var corrupt = Gzip("memory,device=x usage=1\n");
        corrupt.AsSpan(10, corrupt.Length - 10).Fill(0xff); // keep the gzip header, ruin the deflate stream
        using var content = new ByteArrayContent(corrupt);
        content.Headers.ContentEncoding.Add("gzip");

        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("gzip", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_body_is_refused()
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent("# only a comment\n\n"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("no line", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(new string('#', 300_000)));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task V1_precision_units_convert_timestamps()
    {
        var device = server.FirstWithMetric("memory.usage");
        var minutes = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;

        using var response = await server.Http.PostAsync("/write?db=x&precision=m", new StringContent($"memory,device={device.Id} usage=44.5 {minutes}\n"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var detail = await ServerFixture.EventuallyAsync(
            () => server.GetJsonAsync($"/api/devices/{device.Id}"),
            d => d.GetProperty("values").EnumerateArray().Any(v => v.GetProperty("value").GetDouble() == 44.5),
            "the value written in minutes");
        var value = detail.GetProperty("values").EnumerateArray().Single(v => v.GetProperty("metric").GetString() == "memory.usage");
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(minutes * 60), value.GetProperty("timestamp").GetDateTimeOffset());
    }

    [Fact]
    public async Task An_unknown_precision_is_refused()
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b&precision=m", new StringContent("x v=1\n"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("precision", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Samples_for_things_outside_the_inventory_are_accepted()
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent("security,host=办公终端-01,agent=edr threats=0i,ok=true\n"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task A_port_the_model_does_not_have_is_an_error_for_that_line()
    {
        var sw = server.FirstSwitch();

        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent($"interface,device={sw.Id},port=9999 oper_status=1i\n"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("9999", body, StringComparison.Ordinal);
        Assert.Contains("line 1", body, StringComparison.Ordinal);
    }

    private async Task WriteAsync(string body)
    {
        using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(body, Encoding.UTF8));
        Assert.True(response.StatusCode == HttpStatusCode.NoContent, await response.Content.ReadAsStringAsync());
    }

    private static JsonElement Device(JsonElement room, string id) =>
        room.GetProperty("devices").EnumerateArray().Single(d => d.GetProperty("id").GetString() == id);

    private static string? PortStatus(JsonElement room, string device, int position) =>
        Device(room, device).GetProperty("portStatus")[position].GetString();

    private static string Escape(string tagValue) => tagValue.Replace(" ", "\\ ", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }
}
