using Monitoring.Storage.Influx;

namespace Monitoring.Storage.Tests.Influx;

public sealed class RetryPolicyTests
{
    private readonly RetryPolicy _policy = new() { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(10), MaxRetryAfter = TimeSpan.FromMinutes(2) };

    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 200)]
    [InlineData(4, 800)]
    [InlineData(8, 10_000)]
    [InlineData(50, 10_000)]
    public void Backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half(int attempt, double stepMs)
    {
        Assert.Equal(stepMs / 2, _policy.NextDelay(attempt, null, 0).TotalMilliseconds, 3);
        Assert.Equal(stepMs * 0.75, _policy.NextDelay(attempt, null, 0.5).TotalMilliseconds, 3);
        Assert.True(_policy.NextDelay(attempt, null, 0.999).TotalMilliseconds < stepMs);
    }

    [Fact]
    public void Retry_after_is_honoured_as_given_and_capped()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), _policy.NextDelay(1, TimeSpan.FromSeconds(7), 0.9));
        Assert.Equal(TimeSpan.FromMinutes(2), _policy.NextDelay(1, TimeSpan.FromHours(1), 0.9));
    }
}
