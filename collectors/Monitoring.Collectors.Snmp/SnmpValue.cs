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

    /// <summary>
    /// The value as net-snmp's tools print it with <c>-On</c> and no MIBs loaded (<c>snmpget</c>, <c>snmpbulkwalk</c>):
    /// <c>INTEGER: 5</c>, <c>STRING: "text"</c>, <c>Hex-STRING: 00 12 79 62 F9 40 </c>, <c>""</c> for an empty string,
    /// <c>OID: .1.3.6.1</c>, <c>Timeticks: (233425120) 27 days, 0:24:11.20</c>, <c>Opaque: Float: 0.460000</c>...
    /// An OCTET STRING is text only when every byte is printable ASCII or white space (C's isprint/isspace, as
    /// net-snmp decides), so MAC addresses, bit masks and non-ASCII bytes (UTF-8 included) come out as hex.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        AppendNetSnmp(text);
        return text.ToString();
    }

    /// <summary>Appends what <see cref="ToString"/> returns.</summary>
    public void AppendNetSnmp(StringBuilder text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var invariant = CultureInfo.InvariantCulture;
        switch (Type)
        {
            case SnmpValueType.Integer32:
                text.Append("INTEGER: ").Append(AsInt32().ToString(invariant));
                break;
            case SnmpValueType.OctetString when Bytes.IsEmpty:
                text.Append("\"\"");
                break;
            case SnmpValueType.OctetString when IsText(Bytes):
                text.Append("STRING: \"");
                foreach (var b in Bytes)
                {
                    // net-snmp escapes the quote and the backslash inside the quotes
                    if (b is (byte)'"' or (byte)'\\')
                    {
                        text.Append('\\');
                    }

                    text.Append((char)b);
                }

                text.Append('"');
                break;
            case SnmpValueType.OctetString:
                AppendHex(text.Append("Hex-STRING: "), Bytes);
                break;
            case SnmpValueType.Null:
                text.Append("NULL");
                break;
            case SnmpValueType.ObjectIdentifier:
                text.Append("OID: .").Append(_oid.ToString());
                break;
            case SnmpValueType.IpAddress:
                text.Append("IpAddress: ").AppendJoin('.', _bytes ?? []);
                break;
            case SnmpValueType.Counter32:
                text.Append("Counter32: ").Append(_number.ToString(invariant));
                break;
            case SnmpValueType.Gauge32:
                text.Append("Gauge32: ").Append(_number.ToString(invariant));
                break;
            case SnmpValueType.TimeTicks:
                AppendTicks(text.Append("Timeticks: "), (uint)_number);
                break;
            case SnmpValueType.Counter64:
                text.Append("Counter64: ").Append(_number.ToString(invariant));
                break;
            case SnmpValueType.Opaque:
                AppendOpaque(text, Bytes);
                break;
            case SnmpValueType.NoSuchObject:
                text.Append("No Such Object available on this agent at this OID");
                break;
            case SnmpValueType.NoSuchInstance:
                text.Append("No Such Instance currently exists at this OID");
                break;
            case SnmpValueType.EndOfMibView:
                text.Append("No more variables left in this MIB View (It is past the end of the MIB tree)");
                break;
            default:
                text.Append(Type.ToString());
                break;
        }
    }

    /// <summary>Whether net-snmp prints these bytes as a STRING: each is printable ASCII or white space (C locale).</summary>
    public static bool IsText(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((>= 0x20 and <= 0x7E) or (>= 0x09 and <= 0x0D)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"00 12 79 " with a space after each byte and a line break after every 16 (net-snmp's hex dump).</summary>
    private static void AppendHex(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0 && i % 16 == 0)
            {
                text.Append('\n');
            }

            text.Append(HexDigits[bytes[i] >> 4]).Append(HexDigits[bytes[i] & 0xF]).Append(' ');
        }
    }

    /// <summary>"(233425120) 27 days, 0:24:11.20": hundredths of a second, then d days, h:mm:ss.cc.</summary>
    private static void AppendTicks(StringBuilder text, uint ticks)
    {
        var invariant = CultureInfo.InvariantCulture;
        var days = ticks / 8_640_000;
        var hours = ticks / 360_000 % 24;
        var minutes = ticks / 6_000 % 60;
        var seconds = ticks / 100 % 60;
        var hundredths = ticks % 100;
        text.Append('(').Append(ticks.ToString(invariant)).Append(") ");
        if (days > 0)
        {
            text.Append(days.ToString(invariant)).Append(days == 1 ? " day, " : " days, ");
        }

        text.Append(hours.ToString(invariant)).Append(':').Append(minutes.ToString("00", invariant)).Append(':')
            .Append(seconds.ToString("00", invariant)).Append('.').Append(hundredths.ToString("00", invariant));
    }

    /// <summary>
    /// An Opaque that wraps a float or double (the net-snmp extension used by UCD-SNMP-MIB laLoadFloat: tag 0x9F78 or
    /// 0x9F79) prints as "Opaque: Float: 0.460000"; any other as "OPAQUE: " and its bytes in hex.
    /// </summary>
    private static void AppendOpaque(StringBuilder text, ReadOnlySpan<byte> bytes)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (bytes.Length == 7 && bytes[0] == 0x9F && bytes[1] == 0x78 && bytes[2] == 4)
        {
            text.Append("Opaque: Float: ").Append(System.Buffers.Binary.BinaryPrimitives.ReadSingleBigEndian(bytes[3..]).ToString("F6", invariant));
            return;
        }

        if (bytes.Length == 11 && bytes[0] == 0x9F && bytes[1] == 0x79 && bytes[2] == 8)
        {
            text.Append("Opaque: Double: ").Append(System.Buffers.Binary.BinaryPrimitives.ReadDoubleBigEndian(bytes[3..]).ToString("F6", invariant));
            return;
        }

        AppendHex(text.Append("OPAQUE: "), bytes);
    }

    private const string HexDigits = "0123456789ABCDEF";

    private InvalidOperationException WrongType(string wanted) => new($"The value is {Type}, not {wanted}.");
}
