namespace Monitoring.Core.LineProtocol;

/// <summary>The type of a field value, told by its syntax: 1.5 float, 1i integer, 1u unsigned, t/false boolean, "x" string.</summary>
#pragma warning disable CA1720 // the names are the reference's names for the types
public enum LineProtocolFieldType : byte
{
    Float,
    Integer,
    UInteger,
    Boolean,
    String,
}
#pragma warning restore CA1720
