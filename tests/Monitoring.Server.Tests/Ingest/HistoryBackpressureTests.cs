using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Monitoring.Server.Tests.Ingest;

/// <summary>A history that cannot keep up: a buffer of 10 samples and one flush a second.</summary>
public sealed class SlowHistoryFixture : ServerFixture
{
    public SlowHistoryFixture()
        : base(["--Monitoring:History:BufferCapacity", "10", "--Monitoring:History:FlushIntervalMs", "1000"])
    {
    }
}

/// <summary>
/// Issue 14: when the history cannot keep up, the ingest pushes back with 503 and Retry-After before anything would be
/// dropped, /healthz says so, and every sample that got a 204 reaches the history.
/// </summary>
public sealed class HistoryBackpressureTests(SlowHistoryFixture server) : IClassFixture<SlowHistoryFixture>
{
    [Fact]
    public async Task A_history_slower_than_the_ingest_answers_503_with_Retry_After_and_loses_nothing_acknowledged()
    {
        var device = server.FirstWithMetric("cpu.usage");
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds());
        var acknowledged = new HashSet<long>();
        var refused = 0;
        var next = 0L;
        var deadline = DateTime.UtcNow.AddSeconds(60);

        // write 50 samples a request until the history has pushed back a few times
        while (refused < 3 && DateTime.UtcNow < deadline)
        {
            var first = next;
            next += 50;
            var body = string.Join('\n', Enumerable.Range(0, 50).Select(i => $"cpu,device={device.Id} usage={(first + i) % 100} {Ns(start, first + i)}"));
            using var response = await server.Http.PostAsync("/api/v2/write?bucket=b", new StringContent(body, Encoding.UTF8, "text/plain"));
            if (response.StatusCode == HttpStatusCode.NoContent)
            {
                acknowledged.UnionWith(Enumerable.Range(0, 50).Select(i => first + i));
                continue;
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.True(response.Headers.RetryAfter?.Delta is { } delta && delta > TimeSpan.Zero, "a 503 without a Retry-After");
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Contains("history", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            if (refused++ == 0)
            {
                // while it lags, /healthz says so
                var health = await server.GetJsonAsync("/healthz");
                var history = health.GetProperty("components").GetProperty("history");
                Assert.True(
                    history.GetProperty("state").GetString() == "degraded" || history.GetProperty("pending").GetInt64() < 10,
                    $"the history lags but /healthz says {history}");
                Assert.True(health.GetProperty("components").GetProperty("journal").GetProperty("refusedBusy").GetInt64() >= 1);
            }
        }

        Assert.True(refused >= 3, $"the ingest never pushed back in 60 s ({acknowledged.Count} samples acknowledged)");
        Assert.NotEmpty(acknowledged);

        var points = await ServerFixture.EventuallyAsync(
            async () => (await server.GetJsonAsync($"/api/series?device={device.Id}&metric=cpu.usage&from={start.ToUnixTimeMilliseconds()}&to={start.AddHours(1).ToUnixTimeMilliseconds()}"))
                .GetProperty("points").EnumerateArray().Select(p => p.GetProperty("t").GetInt64() - start.ToUnixTimeMilliseconds()).ToHashSet(),
            p => acknowledged.IsSubsetOf(p), "every acknowledged sample in the history", 60_000);
        Assert.Equal(acknowledged.Count, points.Count); // and nothing that was refused
    }

    private static string Ns(DateTimeOffset start, long index) =>
        ((start.ToUnixTimeMilliseconds() + index) * 1_000_000).ToString(CultureInfo.InvariantCulture);
}
