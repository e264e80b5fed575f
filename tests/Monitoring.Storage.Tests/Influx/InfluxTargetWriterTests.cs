using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Tests.Influx;

public sealed class InfluxTargetWriterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("influx-target-").FullName;
    private readonly FakeInfluxServer _server = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stop = new();

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        _server.Dispose();
        _http.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Version_2_writes_to_api_v2_with_a_token_and_gzip()
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url, Version = 2, Org = "noc", Bucket = "机房", Token = "s3cret" });
        var run = target.RunAsync(_stop.Token);

        target.Accept("cpu,device=a usage=1 1\n"u8, 1);

        await _server.WaitForRequestsAsync(1);
        Assert.True(_server.Received.TryPeek(out var write));
        Assert.Equal("/api/v2/write?org=noc&bucket=%E6%9C%BA%E6%88%BF&precision=ns", write.PathAndQuery);
        Assert.Equal("Token s3cret", write.Authorization);
        Assert.Equal("cpu,device=a usage=1 1\n", write.Body);
        await WaitAsync(() => target.Status().PointsWritten == 1);
        Assert.DoesNotContain("s3cret", target.Status().ToString(), StringComparison.Ordinal);
        await StopAsync(run);
    }

    [Fact]
    public async Task Version_1_writes_to_write_with_database_retention_policy_and_basic_auth()
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url, Version = 1, Database = "noc", RetentionPolicy = "autogen", Username = "u", Password = "p", Gzip = false });
        var run = target.RunAsync(_stop.Token);

        target.Accept("cpu usage=1 1\n"u8, 1);

        await _server.WaitForRequestsAsync(1);
        Assert.True(_server.Received.TryPeek(out var write));
        Assert.Equal("/write?db=noc&rp=autogen&precision=ns", write.PathAndQuery);
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("u:p")), write.Authorization);
        await StopAsync(run);
    }

    [Fact]
    public async Task A_429_waits_exactly_the_retry_after_on_the_controlled_clock_then_sends_the_same_batch()
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url });
        _server.Then(429, "slow down", retryAfter: "7");
        var run = target.RunAsync(_stop.Token);

        target.Accept("m f=1 1\n"u8, 1);
        await _server.WaitForRequestsAsync(1);
        await WaitAsync(() => target.LastRetryDelay is not null);
        Assert.Equal(TimeSpan.FromSeconds(7), target.LastRetryDelay);
        Assert.True(target.Status().Buffering);
        Assert.Contains("429", target.Status().LastError, StringComparison.Ordinal);

        _time.Advance(TimeSpan.FromSeconds(6.9));
        await Task.Delay(200);
        Assert.Single(_server.Received);

        _time.Advance(TimeSpan.FromSeconds(0.2));
        await _server.WaitForRequestsAsync(2);
        Assert.All(_server.Received, w => Assert.Equal("m f=1 1\n", w.Body));
        await WaitAsync(() => target.Status().PointsWritten == 1);
        Assert.True(target.Status().Connected);
        await StopAsync(run);
    }

    [Fact]
    public async Task A_5xx_backs_off_and_retries_in_order_until_written()
    {
        var retry = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(8) };
        using var target = Create(new InfluxTargetOptions { Url = _server.Url }, retry);
        _server.Then(503);
        _server.Then(500);
        var run = target.RunAsync(_stop.Token);

        target.Accept("m f=1 1\n"u8, 1);
        target.Accept("m f=2 2\n"u8, 1);
        await _server.WaitForRequestsAsync(1);
        await WaitAsync(() => target.LastRetryDelay is not null);
        var first = target.LastRetryDelay!.Value;
        Assert.InRange(first.TotalSeconds, 0.5, 1);
        _time.Advance(first);
        await _server.WaitForRequestsAsync(2);
        await WaitAsync(() => target.LastRetryDelay != first);
        var second = target.LastRetryDelay!.Value;
        Assert.InRange(second.TotalSeconds, 1, 2);
        _time.Advance(second);

        await _server.WaitForRequestsAsync(4);
        Assert.Equal(["m f=1 1\n", "m f=1 1\n", "m f=1 1\n", "m f=2 2\n"], _server.Received.Select(w => w.Body).ToArray());
        await WaitAsync(() => target.Status().PointsWritten == 2);
        await StopAsync(run);
    }

    [Fact]
    public async Task A_400_is_bisected_the_good_lines_are_written_the_bad_line_is_named_and_the_batches_behind_go_on()
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url });
        _server.Responder = body => body.Contains("bad", StringComparison.Ordinal)
            ? (400, "{\"error\":\"partial write: field type conflict: input field \\\"f\\\" on measurement \\\"m\\\" is type float, already exists as type string dropped=1\"}")
            : null;
        var run = target.RunAsync(_stop.Token);
        var good = Enumerable.Range(0, 12).Select(i => $"m,device=ok f={i} {i}").ToList();
        var batch = good.Take(7).Append("m,device=bad f=99 99").Concat(good.Skip(7)).ToList();

        target.Accept(Encoding.UTF8.GetBytes(string.Join("\n", batch) + "\n"), batch.Count);
        target.Accept("next f=1 1\n"u8, 1);

        await WaitAsync(() => target.Status().PointsWritten == 13, describe: () => target.Status().ToString());
        var status = target.Status();
        Assert.Equal(1, status.PointsRejected);
        Assert.Equal(0, status.PointsBuffered);
        Assert.Contains("line 8", status.LastError, StringComparison.Ordinal);
        Assert.Contains("m,device=bad f=99 99", status.LastError, StringComparison.Ordinal);
        Assert.Contains("field type conflict", status.LastError, StringComparison.Ordinal);

        // every good line went out in a request that was accepted; the bad one never did
        var accepted = _server.Received.Where(w => !w.Body.Contains("bad", StringComparison.Ordinal)).SelectMany(w => w.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
        Assert.Superset(good.Append("next f=1 1").ToHashSet(), accepted);
        Assert.Equal("next f=1 1\n", _server.Received.Last().Body);

        // 13 lines, one bad: far fewer requests than lines (the right half of an accepted left is split unsent)
        Assert.InRange(_server.Received.Count, 3, 1 + 8 + 1);
        await StopAsync(run);
    }

    [Fact]
    public async Task A_400_bisection_spends_at_most_its_request_budget_and_reports_the_rest_with_the_server_message()
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url, Gzip = false, MaxBisectRequests = 3 });
        _server.Responder = body => body.Contains("bad", StringComparison.Ordinal) ? (400, "unable to parse") : null;
        var run = target.RunAsync(_stop.Token);
        var batch = Enumerable.Range(0, 16).Select(i => i % 2 == 0 ? $"m f={i} {i}" : $"bad f= {i}").ToList();

        target.Accept(Encoding.UTF8.GetBytes(string.Join("\n", batch) + "\n"), batch.Count);
        target.Accept("next f=1 1\n"u8, 1);

        await WaitAsync(() => target.Status().PointsWritten == 1, describe: () => target.Status().ToString());
        var status = target.Status();
        Assert.Equal(16, status.PointsRejected);
        Assert.Equal(1 + 3 + 1, _server.Received.Count);
        Assert.Contains("request budget spent", status.LastError, StringComparison.Ordinal);
        Assert.Contains("unable to parse", status.LastError, StringComparison.Ordinal);
        await StopAsync(run);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(413)]
    public async Task Other_4xx_are_not_bisected_but_dropped_whole_with_the_first_line(int code)
    {
        using var target = Create(new InfluxTargetOptions { Url = _server.Url });
        _server.Then(code, "{\"error\":\"no\"}");
        var run = target.RunAsync(_stop.Token);

        target.Accept("first,device=x f=1 1\nsecond f=2 2\n"u8, 2);
        target.Accept("good f=3 3\n"u8, 1);

        await WaitAsync(() => target.Status().PointsWritten == 1);
        var status = target.Status();
        Assert.Equal(2, status.PointsRejected);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), status.LastError, StringComparison.Ordinal);
        Assert.Contains("first,device=x f=1 1", status.LastError, StringComparison.Ordinal);
        Assert.Equal(2, _server.Received.Count);
        await StopAsync(run);
    }

    private InfluxTargetWriter Create(InfluxTargetOptions options, RetryPolicy? retry = null) =>
        new("t", options, Path.Combine(_directory, "t"), _http, _time, NullLogger.Instance, retry, new Random(1));

    private async Task StopAsync(Task run)
    {
        await _stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    internal static async Task WaitAsync(Func<bool> condition, int timeoutMs = 10_000, Func<string>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time " + describe?.Invoke());
            await Task.Delay(10);
        }
    }
}
