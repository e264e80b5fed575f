namespace Monitoring.Storage.Influx;

/// <summary>
/// How long to wait before the next attempt: exponential backoff from <see cref="BaseDelay"/> doubling to
/// <see cref="MaxDelay"/>, with jitter (a random point in the upper half of the step, so targets that failed together
/// do not retry together); a server's Retry-After is honoured as given, up to <see cref="MaxRetryAfter"/>.
/// </summary>
public sealed class RetryPolicy
{
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    /// <param name="attempt">How many attempts in a row have failed, 1 for the first failure.</param>
    /// <param name="retryAfter">The server's Retry-After, when it sent one.</param>
    /// <param name="random">A number in [0, 1) for the jitter.</param>
    public TimeSpan NextDelay(int attempt, TimeSpan? retryAfter, double random)
    {
        if (retryAfter is { } after && after > TimeSpan.Zero)
        {
            return after < MaxRetryAfter ? after : MaxRetryAfter;
        }

        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var step = Math.Min(BaseDelay.TotalMilliseconds * Math.Pow(2, exponent), MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((step / 2) + (Math.Clamp(random, 0, 1) * step / 2));
    }
}
