using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Monitoring.Server.Tests;

/// <summary>The server with small ingest bounds, so a test can reach them.</summary>
public sealed class SmallIngestLimitsFixture : ServerFixture
{
    public SmallIngestLimitsFixture()
        : base(["--Monitoring:Ingest:MaxLinesPerRequest", "50", "--Monitoring:Ingest:MaxSeriesPerMeasurement", "20"])
    {
    }
}

public sealed class IngestLimitsTests(SmallIngestLimitsFixture server) : IClassFixture<SmallIngestLimitsFixture>
{
    [Fact]
    public async Task A_body_with_more_lines_than_allowed_is_refused_whole_with_413_naming_the_bound()
    {
        var token = await CreateTokenAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var body = string.Concat(Enumerable.Range(0, 51).Select(i => $"many,device=srv-b01-u04 n{i % 3}={i}\n"));

        using var v1 = await IngestCompatibilityTests.SendAsync(http, "/write?db=noc", body, token);
        using var v2 = await IngestCompatibilityTests.SendAsync(http, "/api/v2/write?bucket=noc", body, token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, v1.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, v2.StatusCode);
        Assert.Contains("Monitoring:Ingest:MaxLinesPerRequest", IngestCompatibilityTests.V1Error(await v1.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Equal("request too large", IngestCompatibilityTests.V2Code(await v2.Content.ReadAsStringAsync()));
        var device = await server.GetJsonAsync("/api/devices/srv-b01-u04");
        Assert.Null(IngestCompatibilityTests.Value(device, "many.n0"));
    }

    [Fact]
    public async Task The_series_cardinality_cap_refuses_new_series_with_a_4xx_naming_it_and_counts_them_in_healthz()
    {
        var token = await CreateTokenAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var body = string.Concat(Enumerable.Range(0, 25).Select(i => $"cardinality,host=h{i} v=1\n"));

        using var first = await IngestCompatibilityTests.SendAsync(http, "/api/v2/write?bucket=noc", body, token);
        using var again = await IngestCompatibilityTests.SendAsync(http, "/api/v2/write?bucket=noc", "cardinality,host=h0 v=2\n", token);

        var error = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Equal(20, error.GetProperty("linesWritten").GetInt32());
        Assert.Contains("series cardinality limit", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("MaxSeriesPerMeasurement", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(21, error.GetProperty("errors")[0].GetProperty("line").GetInt32());
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode); // a known series is still written
        var ingest = (await server.GetJsonAsync("/healthz")).GetProperty("components").GetProperty("ingest");
        Assert.True(ingest.GetProperty("linesOverCardinality").GetInt64() >= 5, ingest.ToString());
        Assert.True(ingest.GetProperty("seriesRefused").GetInt64() >= 5, ingest.ToString());
        Assert.Equal(20, ingest.GetProperty("maxSeriesPerMeasurement").GetInt32());
    }

    private async Task<string> CreateTokenAsync()
    {
        using var response = await server.Http.PostAsJsonAsync("/api/tokens", new { name = "limits-" + Guid.NewGuid().ToString("N")[..6], scopes = new[] { "samples:write" } });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("secret").GetString()!;
    }
}
