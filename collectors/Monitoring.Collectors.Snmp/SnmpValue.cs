using System.Globalization;
using System.Text;

namespace Monitoring.Collectors.Snmp;

/// <summary>A variable-binding value: one of the SMIv2 types or an exception value.</summary>
public readonly struct SnmpValue : IEquatable<SnmpValue>
{
    private readonly ulong _number;
    private readonly byte[]? _bytes;
    private readonly Oid _oid;

    private SnmpValue(SnmpValueType type, ulong number, byte[]? bytes, Oid oid)
    {
        Type = type;
        _number = number;
        _bytes = bytes;
        _oid = oid;
    }

    /// <summary>The value's type. Use the factories: default(SnmpValue) has no valid type.</summary>
    public SnmpValueType Type { get; }

    public static SnmpValue Null => new(SnmpValueType.Null, 0, null, default);

    public static SnmpValue NoSuchObject => new(SnmpValueType.NoSuchObject, 0, null, default);

    public static SnmpValue NoSuchInstance => new(SnmpValueType.NoSuchInstance, 0, null, default);

    public static SnmpValue EndOfMibView => new(SnmpValueType.EndOfMibView, 0, null, default);

    public static SnmpValue FromInt32(int value) => new(SnmpValueType.Integer32, unchecked((ulong)(long)value), null, default);

    public static SnmpValue FromOctets(ReadOnlySpan<byte> value) => new(SnmpValueType.OctetString, 0, value.ToArray(), default);

    public static SnmpValue FromText(string value) => new(SnmpValueType.OctetString, 0, Encoding.UTF8.GetBytes(value), default);

    public static SnmpValue FromOid(Oid value) => new(SnmpValueType.ObjectIdentifier, 0, null, value);

    public static SnmpValue FromIpAddress(ReadOnlySpan<byte> fourBytes)
    {
        if (fourBytes.Length != 4)
        {
            throw new ArgumentException("An IpAddress has four bytes.", nameof(fourBytes));
        }

        return new(SnmpValueType.IpAddress, 0, fourBytes.ToArray(), default);
    }

    public static SnmpValue FromCounter32(uint value) => new(SnmpValueType.Counter32, value, null, default);

    public static SnmpValue FromGauge32(uint value) => new(SnmpValueType.Gauge32, value, null, default);

    public static SnmpValue FromTimeTicks(uint value) => new(SnmpValueType.TimeTicks, value, null, default);

    public static SnmpValue FromOpaque(ReadOnlySpan<byte> value) => new(SnmpValueType.Opaque, 0, value.ToArray(), default);

    public static SnmpValue FromCounter64(ulong value) => new(SnmpValueType.Counter64, value, null, default);

    internal static SnmpValue FromOwnedBytes(SnmpValueType type, byte[] bytes) => new(type, 0, bytes, default);

    /// <summary>True for noSuchObject, noSuchInstance and endOfMibView.</summary>
    public bool IsException => Type is SnmpValueType.NoSuchObject or SnmpValueType.NoSuchInstance or SnmpValueType.EndOfMibView;

    /// <summary>True for the numeric types.</summary>
    public bool IsNumeric => Type is SnmpValueType.Integer32 or SnmpValueType.Counter32 or SnmpValueType.Gauge32
        or SnmpValueType.TimeTicks or SnmpValueType.Counter64;

    /// <summary>INTEGER value.</summary>
    public int AsInt32() => Type == SnmpValueType.Integer32 ? unchecked((int)(long)_number) : throw WrongType("Integer32");

    /// <summary>Counter32, Gauge32 or TimeTicks value.</summary>
    public uint AsUInt32() => Type is SnmpValueType.Counter32 or SnmpValueType.Gauge32 or SnmpValueType.TimeTicks
        ? (uint)_number
        : throw WrongType("an unsigned 32-bit type");

    /// <summary>Counter64 value.</summary>
    public ulong AsUInt64() => Type == SnmpValueType.Counter64 ? _number : throw WrongType("Counter64");

    /// <summary>Any numeric value as a double (Integer32 keeps its sign).</summary>
    public double AsDouble() => Type switch
    {
        SnmpValueType.Integer32 => AsInt32(),
        SnmpValueType.Counter32 or SnmpValueType.Gauge32 or SnmpValueType.TimeTicks or SnmpValueType.Counter64 => _number,
        _ => throw WrongType("a numeric type"),
    };

    /// <summary>OCTET STRING, Opaque or IpAddress bytes (empty for other types).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>OBJECT IDENTIFIER value.</summary>
    public Oid AsOid() => Type == SnmpValueType.ObjectIdentifier ? _oid : throw WrongType("ObjectIdentifier");

    /// <summary>OCTET STRING decoded as UTF-8.</summary>
    public string AsText() => Encoding.UTF8.GetString(Bytes);

    internal ulong RawNumber => _number;

    public bool Equals(SnmpValue other) => Type == other.Type && _number == other._number
        && Bytes.SequenceEqual(other.Bytes) && _oid.Equals(other._oid);

    public override bool Equals(object? obj) => obj is SnmpValue other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Type, _number, _bytes?.Length ?? 0, _oid);

    public static bool operator ==(SnmpValue left, SnmpValue right) => left.Equals(right);

    public static bool operator !=(SnmpValue left, SnmpValue right) => !left.Equals(right);

    public override string ToString() => Type switch
    {
        SnmpValueType.Integer32 => "INTEGER: " + AsInt32().ToString(CultureInfo.InvariantCulture),
        SnmpValueType.OctetString => "STRING: " + (IsPrintable(Bytes) ? AsText() : Convert.ToHexString(Bytes)),
        SnmpValueType.Null => "NULL",
        SnmpValueType.ObjectIdentifier => "OID: " + _oid,
        SnmpValueType.IpAddress => "IpAddress: " + string.Join('.', _bytes ?? []),
        SnmpValueType.Counter32 => "Counter32: " + _number.ToString(CultureInfo.InvariantCulture),
        SnmpValueType.Gauge32 => "Gauge32: " + _number.ToString(CultureInfo.InvariantCulture),
        SnmpValueType.TimeTicks => "Timeticks: " + _number.ToString(CultureInfo.InvariantCulture),
        SnmpValueType.Opaque => "Opaque: " + Convert.ToHexString(Bytes),
        SnmpValueType.Counter64 => "Counter64: " + _number.ToString(CultureInfo.InvariantCulture),
        SnmpValueType.NoSuchObject => "noSuchObject",
        SnmpValueType.NoSuchInstance => "noSuchInstance",
        SnmpValueType.EndOfMibView => "endOfMibView",
        _ => Type.ToString(),
    };

    private static bool IsPrintable(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is < 0x20 or > 0x7E)
            {
                return false;
            }
        }

        return true;
    }

    private InvalidOperationException WrongType(string wanted) => new($"The value is {Type}, not {wanted}.");
}
