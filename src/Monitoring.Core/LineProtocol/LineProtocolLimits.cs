namespace Monitoring.Core.LineProtocol;

/// <summary>
/// Size bounds a line must keep to be read (a line over one is refused with the bound's name, the rest of the body is read on).
/// The defaults keep what real clients send well inside and a hostile body far from the memory it could otherwise cost.
/// </summary>
/// <param name="MaxLineBytes">A whole line, as sent.</param>
/// <param name="MaxNameBytes">The measurement, a tag key or a field key, as sent (escapes included).</param>
/// <param name="MaxTagValueBytes">A tag value, as sent.</param>
/// <param name="MaxSeriesKeyBytes">Measurement and tag set together (<c>cpu,host=a,region=b</c>), as sent.</param>
/// <param name="MaxStringFieldBytes">A string field's value between its quotes (InfluxDB's own bound is 64 KiB).</param>
public readonly record struct LineProtocolLimits(int MaxLineBytes, int MaxNameBytes, int MaxTagValueBytes, int MaxSeriesKeyBytes, int MaxStringFieldBytes)
{
    /// <summary>1 MiB lines, 256-byte names, 1 KiB tag values, 2 KiB series keys, 64 KiB strings.</summary>
    public static LineProtocolLimits Default { get; } = new(1024 * 1024, 256, 1024, 2048, 64 * 1024);

    /// <summary>No bound beyond the body itself (for readers of trusted input, e.g. tests of the syntax alone).</summary>
    public static LineProtocolLimits None { get; } = new(int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue);
}

/// <summary>Why a line was refused, so callers can count refusals by cause.</summary>
public enum LineProtocolErrorKind
{
    /// <summary>The line is valid.</summary>
    None,

    /// <summary>Not line protocol, or a value out of its type's range (InfluxDB refuses it too).</summary>
    Syntax,

    /// <summary>Over one of the <see cref="LineProtocolLimits"/> or a per-request bound.</summary>
    Limit,

    /// <summary>Dated further ahead of the server's clock than allowed.</summary>
    Future,

    /// <summary>Would create a series past the series cardinality cap.</summary>
    Cardinality,

    /// <summary>Names a port the device's model does not have, or a device of a training room (the live server takes none).</summary>
    Model,
}
