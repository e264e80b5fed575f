using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>Encoding against the examples of the Modbus Application Protocol v1.1b3; decoding against hand-built responses.</summary>
public class CodecTests
{
    private static byte[] Encode(Func<byte[], int> encode)
    {
        var buffer = new byte[ModbusCodec.MaxAduLength];
        var length = encode(buffer);
        return buffer[..length];
    }

    private static byte[] Adu(ushort transactionId, byte unit, params byte[] pdu)
    {
        var adu = new byte[7 + pdu.Length];
        adu[0] = (byte)(transactionId >> 8);
        adu[1] = (byte)transactionId;
        adu[4] = (byte)((pdu.Length + 1) >> 8);
        adu[5] = (byte)(pdu.Length + 1);
        adu[6] = unit;
        pdu.CopyTo(adu, 7);
        return adu;
    }

    [Fact]
    public void Read_holding_registers_request_matches_the_spec_example()
    {
        // Spec 6.3: read registers 108-110 → 03 00 6B 00 03.
        var adu = Encode(b => ModbusCodec.EncodeRead(b, 0x1234, 0x11, ModbusFunctionCode.ReadHoldingRegisters, 0x006B, 3));
        Assert.Equal(new byte[] { 0x12, 0x34, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03 }, adu);
    }

    [Fact]
    public void Write_multiple_coils_request_matches_the_spec_example()
    {
        // Spec 6.11: 10 coils from 20 (address 19): CD 01.
        bool[] coils = [true, false, true, true, false, false, true, true, true, false];
        var adu = Encode(b => ModbusCodec.EncodeWriteMultipleCoils(b, 1, 1, 0x0013, coils));
        Assert.Equal(new byte[] { 0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01 }, adu[7..]);
        Assert.Equal(9, adu[5]);
    }

    [Fact]
    public void Write_multiple_registers_request_matches_the_spec_example()
    {
        // Spec 6.12: registers 2-3 (address 1) := 000A, 0102.
        var adu = Encode(b => ModbusCodec.EncodeWriteMultipleRegisters(b, 1, 1, 0x0001, [0x000A, 0x0102]));
        Assert.Equal(new byte[] { 0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02 }, adu[7..]);
    }

    [Fact]
    public void Single_writes_match_the_spec_examples()
    {
        Assert.Equal(new byte[] { 0x05, 0x00, 0xAC, 0xFF, 0x00 }, Encode(b => ModbusCodec.EncodeWriteSingleCoil(b, 1, 1, 0x00AC, true))[7..]);
        Assert.Equal(new byte[] { 0x06, 0x00, 0x01, 0x00, 0x03 }, Encode(b => ModbusCodec.EncodeWriteSingleRegister(b, 1, 1, 0x0001, 3))[7..]);
    }

    [Theory]
    [InlineData(ModbusFunctionCode.ReadHoldingRegisters, 126)]
    [InlineData(ModbusFunctionCode.ReadInputRegisters, 0)]
    [InlineData(ModbusFunctionCode.ReadCoils, 2001)]
    [InlineData(ModbusFunctionCode.ReadDiscreteInputs, 2001)]
    public void Reads_beyond_the_standard_limits_are_refused(ModbusFunctionCode function, int quantity)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusCodec.EncodeRead(new byte[260], 1, 1, function, 0, (ushort)quantity));
    }

    [Fact]
    public void Writes_beyond_the_standard_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusCodec.EncodeWriteMultipleRegisters(new byte[260], 1, 1, 0, new ushort[124]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModbusCodec.EncodeWriteMultipleCoils(new byte[260], 1, 1, 0, new bool[1969]));
        Assert.Equal(7 + 6 + 246, ModbusCodec.EncodeWriteMultipleRegisters(new byte[260], 1, 1, 0, new ushort[123]));
    }

    [Fact]
    public void Read_registers_response_of_the_spec_example_decodes()
    {
        var request = ModbusRequest.Read(0x11, ModbusFunctionCode.ReadHoldingRegisters, 0x006B, 3);
        var adu = Adu(7, 0x11, 0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64);
        var status = ModbusCodec.DecodeResponse(adu, 7, request, out var data, out _);
        Assert.Equal(ModbusDecodeStatus.Ok, status);
        var registers = new ushort[3];
        ModbusCodec.ReadRegisters(data, registers);
        Assert.Equal(new ushort[] { 0x022B, 0x0000, 0x0064 }, registers);
    }

    [Fact]
    public void Read_coils_response_unpacks_lsb_first()
    {
        // Spec 6.1: coils 20-38: CD 6B 05.
        var request = ModbusRequest.Read(1, ModbusFunctionCode.ReadCoils, 19, 19);
        var adu = Adu(1, 1, 0x01, 0x03, 0xCD, 0x6B, 0x05);
        Assert.Equal(ModbusDecodeStatus.Ok, ModbusCodec.DecodeResponse(adu, 1, request, out var data, out _));
        var bits = new bool[19];
        ModbusCodec.UnpackBits(data, bits);
        Assert.Equal("1011001111010110101", string.Concat(bits.Select(b => b ? '1' : '0')));
    }

    [Theory]
    [InlineData(0x01, ModbusExceptionCode.IllegalFunction)]
    [InlineData(0x02, ModbusExceptionCode.IllegalDataAddress)]
    [InlineData(0x03, ModbusExceptionCode.IllegalDataValue)]
    [InlineData(0x04, ModbusExceptionCode.ServerDeviceFailure)]
    [InlineData(0x05, ModbusExceptionCode.Acknowledge)]
    [InlineData(0x06, ModbusExceptionCode.ServerDeviceBusy)]
    [InlineData(0x0A, ModbusExceptionCode.GatewayPathUnavailable)]
    [InlineData(0x0B, ModbusExceptionCode.GatewayTargetDeviceFailedToRespond)]
    public void Exception_responses_map_to_their_code(byte code, ModbusExceptionCode expected)
    {
        var request = ModbusRequest.Read(1, ModbusFunctionCode.ReadInputRegisters, 0, 1);
        var status = ModbusCodec.DecodeResponse(Adu(9, 1, 0x84, code), 9, request, out _, out var exception);
        Assert.Equal(ModbusDecodeStatus.ExceptionResponse, status);
        Assert.Equal(expected, exception);
        Assert.DoesNotContain("unknown", exception.Describe(), StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], ModbusDecodeStatus> BadResponses => new()
    {
        { "transaction id", Adu(8, 1, 0x03, 0x02, 0x00, 0x01), ModbusDecodeStatus.TransactionIdMismatch },
        { "unit id", Adu(7, 2, 0x03, 0x02, 0x00, 0x01), ModbusDecodeStatus.UnitIdMismatch },
        { "function", Adu(7, 1, 0x04, 0x02, 0x00, 0x01), ModbusDecodeStatus.FunctionCodeMismatch },
        { "exception of another function", Adu(7, 1, 0x84, 0x02), ModbusDecodeStatus.FunctionCodeMismatch },
        { "byte count", Adu(7, 1, 0x03, 0x04, 0x00, 0x01, 0x00, 0x02), ModbusDecodeStatus.ByteCountMismatch },
        { "pdu shorter than byte count", Adu(7, 1, 0x03, 0x02, 0x00), ModbusDecodeStatus.LengthMismatch },
        { "pdu longer than byte count", Adu(7, 1, 0x03, 0x02, 0x00, 0x01, 0x00), ModbusDecodeStatus.LengthMismatch },
        { "no byte count", Adu(7, 1, 0x03), ModbusDecodeStatus.LengthMismatch },
        { "exception code zero", Adu(7, 1, 0x83, 0x00), ModbusDecodeStatus.MalformedException },
        { "exception without code", Adu(7, 1, 0x83), ModbusDecodeStatus.MalformedException },
        { "header only", Adu(7, 1)[..6], ModbusDecodeStatus.Incomplete },
    };

    [Theory]
    [MemberData(nameof(BadResponses))]
    public void Responses_that_do_not_match_the_request_are_rejected(string what, byte[] adu, ModbusDecodeStatus expected)
    {
        var request = ModbusRequest.Read(1, ModbusFunctionCode.ReadHoldingRegisters, 0, 1);
        var status = ModbusCodec.DecodeResponse(adu, 7, request, out var data, out _);
        Assert.True(expected == status, $"{what}: expected {expected}, got {status}");
        Assert.True(data.IsEmpty);
    }

    [Fact]
    public void Length_field_that_disagrees_with_the_bytes_is_rejected()
    {
        var request = ModbusRequest.Read(1, ModbusFunctionCode.ReadHoldingRegisters, 0, 1);
        var adu = Adu(7, 1, 0x03, 0x02, 0x00, 0x01);
        adu[5]++;
        Assert.Equal(ModbusDecodeStatus.Incomplete, ModbusCodec.DecodeResponse(adu, 7, request, out _, out _));
        adu[5] -= 2;
        Assert.Equal(ModbusDecodeStatus.LengthMismatch, ModbusCodec.DecodeResponse(adu, 7, request, out _, out _));
        adu[5] = 0xFF;
        Assert.Equal(ModbusDecodeStatus.LengthMismatch, ModbusCodec.DecodeResponse(adu, 7, request, out _, out _));
        adu[5] = 1;
        Assert.Equal(ModbusDecodeStatus.LengthMismatch, ModbusCodec.TryReadFrameLength(adu, out _));
        adu = Adu(7, 1, 0x03, 0x02, 0x00, 0x01);
        adu[3] = 1;
        Assert.Equal(ModbusDecodeStatus.ProtocolIdInvalid, ModbusCodec.DecodeResponse(adu, 7, request, out _, out _));
    }

    [Fact]
    public void Write_responses_must_echo_the_request()
    {
        var single = ModbusRequest.WriteSingleRegister(1, 0x0010, 0x1234);
        Assert.Equal(ModbusDecodeStatus.Ok, ModbusCodec.DecodeResponse(Adu(1, 1, 0x06, 0x00, 0x10, 0x12, 0x34), 1, single, out _, out _));
        Assert.Equal(ModbusDecodeStatus.EchoMismatch, ModbusCodec.DecodeResponse(Adu(1, 1, 0x06, 0x00, 0x10, 0x12, 0x35), 1, single, out _, out _));
        var coil = ModbusRequest.WriteSingleCoil(1, 0x00AC, true);
        Assert.Equal(ModbusDecodeStatus.Ok, ModbusCodec.DecodeResponse(Adu(1, 1, 0x05, 0x00, 0xAC, 0xFF, 0x00), 1, coil, out _, out _));
        Assert.Equal(ModbusDecodeStatus.EchoMismatch, ModbusCodec.DecodeResponse(Adu(1, 1, 0x05, 0x00, 0xAC, 0x00, 0x00), 1, coil, out _, out _));
        var multiple = ModbusRequest.WriteMultipleRegisters(1, 1, 2);
        Assert.Equal(ModbusDecodeStatus.Ok, ModbusCodec.DecodeResponse(Adu(1, 1, 0x10, 0x00, 0x01, 0x00, 0x02), 1, multiple, out _, out _));
        Assert.Equal(ModbusDecodeStatus.EchoMismatch, ModbusCodec.DecodeResponse(Adu(1, 1, 0x10, 0x00, 0x01, 0x00, 0x03), 1, multiple, out _, out _));
        Assert.Equal(ModbusDecodeStatus.LengthMismatch, ModbusCodec.DecodeResponse(Adu(1, 1, 0x10, 0x00, 0x01, 0x00), 1, multiple, out _, out _));
    }
}
