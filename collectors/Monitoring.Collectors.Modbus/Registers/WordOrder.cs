namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>
/// How the bytes of a multi-register value are laid out on the wire, named by the order the bytes of the big-endian
/// value A B C D (A most significant) arrive in. 64-bit values extend the same pattern to eight bytes.
/// </summary>
public enum WordOrder
{
    /// <summary>ABCD: the Modbus convention, most significant register first, big-endian registers.</summary>
    BigEndian,

    /// <summary>DCBA: least significant byte first.</summary>
    LittleEndian,

    /// <summary>BADC: registers in big-endian order, the two bytes inside each register swapped.</summary>
    ByteSwapped,

    /// <summary>CDAB: least significant register first, each register big-endian (common on meters and UPS units).</summary>
    WordSwapped,
}
