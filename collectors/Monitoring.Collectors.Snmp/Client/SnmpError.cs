namespace Monitoring.Collectors.Snmp.Client;

/// <summary>What went wrong with a request, as a value.</summary>
public enum SnmpErrorKind
{
    /// <summary>No answer in time after every retry (for v1/v2c this is also what a wrong community looks like).</summary>
    Timeout,

    /// <summary>The agent answered with a non-zero error-status (noSuchName, tooBig, genErr...).</summary>
    ErrorStatus,

    /// <summary>usmStatsUnsupportedSecLevels: the user cannot be used at the requested security level.</summary>
    UnsupportedSecurityLevel,

    /// <summary>usmStatsNotInTimeWindows even after re-synchronising boots/time.</summary>
    NotInTimeWindow,

    /// <summary>usmStatsUnknownUserNames: the agent has no such user.</summary>
    UnknownUserName,

    /// <summary>usmStatsUnknownEngineIDs after discovery.</summary>
    UnknownEngineId,

    /// <summary>usmStatsWrongDigests: the authentication password (key) is wrong.</summary>
    WrongDigest,

    /// <summary>usmStatsDecryptionErrors: the privacy password (key) is wrong.</summary>
    DecryptionError,

    /// <summary>Another Report PDU (e.g. snmpUnknownSecurityModels).</summary>
    Report,

    /// <summary>The request does not fit in one message even alone.</summary>
    RequestTooLarge,

    /// <summary>A walk got an OID not after the previous one: the agent loops.</summary>
    OidNotIncreasing,

    /// <summary>No answer, and the host said so: ICMP port unreachable (nothing listens on that UDP port).</summary>
    PortUnreachable,
}

/// <summary>An error value: a kind, a sentence a person can act on, and the agent's error-status when it sent one.</summary>
public sealed class SnmpError
{
    public SnmpError(SnmpErrorKind kind, string message, SnmpErrorStatus status = SnmpErrorStatus.NoError, int errorIndex = 0)
    {
        Kind = kind;
        Message = message;
        Status = status;
        ErrorIndex = errorIndex;
    }

    public SnmpErrorKind Kind { get; }

    public string Message { get; }

    public SnmpErrorStatus Status { get; }

    public int ErrorIndex { get; }

    public override string ToString() => Message;
}

/// <summary>A value or an error.</summary>
public readonly struct SnmpResult<T>
{
    private readonly T? _value;

    public SnmpResult(T value)
    {
        _value = value;
        Error = null;
    }

    public SnmpResult(SnmpError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        _value = default;
        Error = error;
    }

    public SnmpError? Error { get; }

    public bool IsSuccess => Error is null;

    public T Value => Error is null ? _value! : throw new InvalidOperationException(Error.Message);

    public override string ToString() => IsSuccess ? $"{_value}" : Error!.Message;
}

/// <summary>What a walk collected, and the error that stopped it early if one did.</summary>
public sealed class SnmpWalkResult(IReadOnlyList<VarBind> varBinds, SnmpError? error)
{
    public IReadOnlyList<VarBind> VarBinds { get; } = varBinds;

    /// <summary>Null when the walk reached the end of the subtree.</summary>
    public SnmpError? Error { get; } = error;

    public bool IsComplete => Error is null;
}
