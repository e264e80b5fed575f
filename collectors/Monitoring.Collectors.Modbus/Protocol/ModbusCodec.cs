using System.Buffers.Binary;

namespace Monitoring.Collectors.Modbus.Protocol;

/// <summary>
/// Modbus TCP framing and PDUs, on spans, with no I/O. Encoding writes a whole ADU (MBAP header + PDU) into a caller's
/// buffer; decoding validates a response ADU against the request it answers and never trusts a field it cannot check:
/// it returns a <see cref="ModbusDecodeStatus"/>, never throws on input bytes and never allocates.
/// </summary>
/// <remarks>
/// Sources: Modbus Application Protocol Specification v1.1b3 (PDUs, limits, exception codes) and Modbus Messaging on
/// TCP/IP Implementation Guide v1.0b (MBAP header: transaction id, protocol id 0, length of the unit id and PDU, unit id).
/// </remarks>
public static class ModbusCodec
{
    public const int MbapHeaderLength = 7;

    /// <summary>The largest PDU of the serial line limit the TCP encapsulation inherits.</summary>
    public const int MaxPduLength = 253;

    /// <summary>MBAP header (7) + largest PDU (253).</summary>
    public const int MaxAduLength = MbapHeaderLength + MaxPduLength;

    public const int MaxReadRegisters = 125;
    public const int MaxReadBits = 2000;
    public const int MaxWriteRegisters = 123;
    public const int MaxWriteCoils = 1968;

    public const ushort CoilOn = 0xFF00;
    public const ushort CoilOff = 0x0000;

    private const byte ExceptionFlag = 0x80;

    /// <summary>Read request for FC 1, 2, 3 or 4. Returns the ADU length (12).</summary>
    public static int EncodeRead(Span<byte> destination, ushort transactionId, byte unitId, ModbusFunctionCode function, ushort address, ushort quantity)
    {
        var max = function switch
        {
            ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs => MaxReadBits,
            ModbusFunctionCode.ReadHoldingRegisters or ModbusFunctionCode.ReadInputRegisters => MaxReadRegisters,
            _ => throw new ArgumentOutOfRangeException(nameof(function), function, "not a read function"),
        };
        CheckQuantity(quantity, max);
        CheckRange(address, quantity);
        var pdu = WriteHeader(destination, transactionId, unitId, 5);
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], quantity);
        return MbapHeaderLength + 5;
    }

    /// <summary>FC 5. Returns the ADU length (12).</summary>
    public static int EncodeWriteSingleCoil(Span<byte> destination, ushort transactionId, byte unitId, ushort address, bool on) =>
        EncodeWriteSingle(destination, transactionId, unitId, ModbusFunctionCode.WriteSingleCoil, address, on ? CoilOn : CoilOff);

    /// <summary>FC 6. Returns the ADU length (12).</summary>
    public static int EncodeWriteSingleRegister(Span<byte> destination, ushort transactionId, byte unitId, ushort address, ushort value) =>
        EncodeWriteSingle(destination, transactionId, unitId, ModbusFunctionCode.WriteSingleRegister, address, value);

    /// <summary>FC 15, coils packed LSB first. Returns the ADU length.</summary>
    public static int EncodeWriteMultipleCoils(Span<byte> destination, ushort transactionId, byte unitId, ushort address, ReadOnlySpan<bool> values)
    {
        CheckQuantity(values.Length, MaxWriteCoils);
        CheckRange(address, values.Length);
        var byteCount = (values.Length + 7) / 8;
        var pdu = WriteHeader(destination, transactionId, unitId, 6 + byteCount);
        pdu[0] = (byte)ModbusFunctionCode.WriteMultipleCoils;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)byteCount;
        PackBits(values, pdu.Slice(6, byteCount));
        return MbapHeaderLength + 6 + byteCount;
    }

    /// <summary>FC 16. Returns the ADU length.</summary>
    public static int EncodeWriteMultipleRegisters(Span<byte> destination, ushort transactionId, byte unitId, ushort address, ReadOnlySpan<ushort> values)
    {
        CheckQuantity(values.Length, MaxWriteRegisters);
        CheckRange(address, values.Length);
        var byteCount = values.Length * 2;
        var pdu = WriteHeader(destination, transactionId, unitId, 6 + byteCount);
        pdu[0] = (byte)ModbusFunctionCode.WriteMultipleRegisters;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], (ushort)values.Length);
        pdu[5] = (byte)byteCount;
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(pdu[(6 + (2 * i))..], values[i]);
        }

        return MbapHeaderLength + 6 + byteCount;
    }

    /// <summary>Any function code with an opaque body: for functions this library does not model (and to probe servers).</summary>
    public static int EncodeRaw(Span<byte> destination, ushort transactionId, byte unitId, byte functionCode, ReadOnlySpan<byte> body)
    {
        if (body.Length > MaxPduLength - 1)
        {
            throw new ArgumentOutOfRangeException(nameof(body), body.Length, "PDU longer than 253 bytes");
        }

        var pdu = WriteHeader(destination, transactionId, unitId, 1 + body.Length);
        pdu[0] = functionCode;
        body.CopyTo(pdu[1..]);
        return MbapHeaderLength + 1 + body.Length;
    }

    /// <summary>
    /// Reads the first 7 bytes of an ADU and returns the ADU's total length as announced by the length field, after checking
    /// the protocol id is 0 and the length is one a Modbus server can send (2..254). The caller reads that many bytes (at
    /// most <see cref="MaxAduLength"/>) into a fixed buffer: no allocation is ever sized by this field.
    /// </summary>
    public static ModbusDecodeStatus TryReadFrameLength(ReadOnlySpan<byte> header, out int aduLength)
    {
        aduLength = 0;
        if (header.Length < MbapHeaderLength)
        {
            return ModbusDecodeStatus.Incomplete;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(header[2..]) != 0)
        {
            return ModbusDecodeStatus.ProtocolIdInvalid;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(header[4..]);
        if (length < 2 || length > MaxPduLength + 1)
        {
            return ModbusDecodeStatus.LengthMismatch;
        }

        aduLength = 6 + length;
        return ModbusDecodeStatus.Ok;
    }

    /// <summary>
    /// Validates a whole response ADU against the transaction id and request it answers. On <see cref="ModbusDecodeStatus.Ok"/>,
    /// <paramref name="data"/> is the data field: the packed bits or big-endian registers after the byte count for reads, the
    /// echo (address and value or quantity) for writes, the body for raw functions. On
    /// <see cref="ModbusDecodeStatus.ExceptionResponse"/>, <paramref name="exceptionCode"/> says why the server refused.
    /// </summary>
    public static ModbusDecodeStatus DecodeResponse(
        ReadOnlySpan<byte> adu,
        ushort transactionId,
        in ModbusRequest request,
        out ReadOnlySpan<byte> data,
        out ModbusExceptionCode exceptionCode)
    {
        data = default;
        exceptionCode = ModbusExceptionCode.None;

        var status = TryReadFrameLength(adu, out var announced);
        if (status != ModbusDecodeStatus.Ok)
        {
            return status;
        }

        if (adu.Length < announced)
        {
            return ModbusDecodeStatus.Incomplete;
        }

        if (adu.Length > announced)
        {
            return ModbusDecodeStatus.LengthMismatch;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(adu) != transactionId)
        {
            return ModbusDecodeStatus.TransactionIdMismatch;
        }

        if (adu[6] != request.UnitId)
        {
            return ModbusDecodeStatus.UnitIdMismatch;
        }

        var pdu = adu[MbapHeaderLength..];
        var function = pdu[0];
        if (function == (request.FunctionCode | ExceptionFlag))
        {
            if (pdu.Length != 2)
            {
                return pdu.Length < 2 ? ModbusDecodeStatus.MalformedException : ModbusDecodeStatus.LengthMismatch;
            }

            if (pdu[1] == 0)
            {
                return ModbusDecodeStatus.MalformedException;
            }

            exceptionCode = (ModbusExceptionCode)pdu[1];
            return ModbusDecodeStatus.ExceptionResponse;
        }

        if (function != request.FunctionCode)
        {
            return ModbusDecodeStatus.FunctionCodeMismatch;
        }

        switch ((ModbusFunctionCode)function)
        {
            case ModbusFunctionCode.ReadCoils:
            case ModbusFunctionCode.ReadDiscreteInputs:
                return DecodeReadData(pdu, (request.Quantity + 7) / 8, out data);
            case ModbusFunctionCode.ReadHoldingRegisters:
            case ModbusFunctionCode.ReadInputRegisters:
                return DecodeReadData(pdu, request.Quantity * 2, out data);
            case ModbusFunctionCode.WriteSingleCoil:
            case ModbusFunctionCode.WriteSingleRegister:
                return DecodeEcho(pdu, request.Address, request.Value, out data);
            case ModbusFunctionCode.WriteMultipleCoils:
            case ModbusFunctionCode.WriteMultipleRegisters:
                return DecodeEcho(pdu, request.Address, request.Quantity, out data);
            default:
                data = pdu[1..];
                return ModbusDecodeStatus.Ok;
        }
    }

    /// <summary>Unpacks <paramref name="destination"/>.Length bits, LSB of the first byte first.</summary>
    public static void UnpackBits(ReadOnlySpan<byte> packed, Span<bool> destination)
    {
        if (packed.Length * 8 < destination.Length)
        {
            throw new ArgumentException("not enough packed bytes for the bits requested", nameof(packed));
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (packed[i >> 3] & (1 << (i & 7))) != 0;
        }
    }

    /// <summary>Packs bits LSB of the first byte first; the unused high bits of the last byte are zero.</summary>
    public static void PackBits(ReadOnlySpan<bool> bits, Span<byte> destination)
    {
        var byteCount = (bits.Length + 7) / 8;
        destination[..byteCount].Clear();
        for (var i = 0; i < bits.Length; i++)
        {
            if (bits[i])
            {
                destination[i >> 3] |= (byte)(1 << (i & 7));
            }
        }
    }

    /// <summary>Reads big-endian registers from a read response's data field.</summary>
    public static void ReadRegisters(ReadOnlySpan<byte> data, Span<ushort> destination)
    {
        if (data.Length < destination.Length * 2)
        {
            throw new ArgumentException("not enough bytes for the registers requested", nameof(data));
        }

        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = BinaryPrimitives.ReadUInt16BigEndian(data[(2 * i)..]);
        }
    }

    private static ModbusDecodeStatus DecodeReadData(ReadOnlySpan<byte> pdu, int expectedByteCount, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (pdu.Length < 2)
        {
            return ModbusDecodeStatus.LengthMismatch;
        }

        if (pdu[1] != expectedByteCount)
        {
            return ModbusDecodeStatus.ByteCountMismatch;
        }

        if (pdu.Length != 2 + expectedByteCount)
        {
            return ModbusDecodeStatus.LengthMismatch;
        }

        data = pdu[2..];
        return ModbusDecodeStatus.Ok;
    }

    private static ModbusDecodeStatus DecodeEcho(ReadOnlySpan<byte> pdu, ushort address, ushort valueOrQuantity, out ReadOnlySpan<byte> data)
    {
        data = default;
        if (pdu.Length != 5)
        {
            return ModbusDecodeStatus.LengthMismatch;
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(pdu[1..]) != address || BinaryPrimitives.ReadUInt16BigEndian(pdu[3..]) != valueOrQuantity)
        {
            return ModbusDecodeStatus.EchoMismatch;
        }

        data = pdu[1..];
        return ModbusDecodeStatus.Ok;
    }

    private static int EncodeWriteSingle(Span<byte> destination, ushort transactionId, byte unitId, ModbusFunctionCode function, ushort address, ushort value)
    {
        var pdu = WriteHeader(destination, transactionId, unitId, 5);
        pdu[0] = (byte)function;
        BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], address);
        BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], value);
        return MbapHeaderLength + 5;
    }

    private static Span<byte> WriteHeader(Span<byte> destination, ushort transactionId, byte unitId, int pduLength)
    {
        if (destination.Length < MbapHeaderLength + pduLength)
        {
            throw new ArgumentException($"destination needs {MbapHeaderLength + pduLength} bytes", nameof(destination));
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)(pduLength + 1));
        destination[6] = unitId;
        return destination.Slice(MbapHeaderLength, pduLength);
    }

    private static void CheckQuantity(int quantity, int max)
    {
        if (quantity < 1 || quantity > max)
        {
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, $"quantity must be 1..{max}");
        }
    }

    private static void CheckRange(ushort address, int quantity)
    {
        if (address + quantity > 0x10000)
        {
            throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "address + quantity runs past 65535");
        }
    }
}
