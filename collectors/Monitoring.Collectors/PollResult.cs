namespace Monitoring.Collectors;

/// <summary>How one poll of one device ended.</summary>
public enum PollOutcome
{
    Ok,
    /// <summary>The device did not answer in time (after retries).</summary>
    Timeout,
    /// <summary>The device could not be reached at all (connection refused, no route).</summary>
    Unreachable,
    /// <summary>The device refused our credentials (wrong community, wrong password, unknown user).</summary>
    AuthenticationFailed,
    /// <summary>The device answered, but with something we could not use (malformed, exception response).</summary>
    ProtocolError,
    /// <summary>Anything else, including a bug in the collector.</summary>
    Error,
}

/// <summary>The result of one poll: its outcome, a plain-words message for the operator, and how many samples it produced.</summary>
public readonly record struct PollResult(PollOutcome Outcome, string? Message, int Samples)
{
    public static PollResult Success(int samples) => new(PollOutcome.Ok, null, samples);

    public static PollResult Failure(PollOutcome outcome, string message) => new(outcome, message, 0);
}
