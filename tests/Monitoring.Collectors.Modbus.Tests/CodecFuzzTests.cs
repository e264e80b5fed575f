using System.Buffers.Binary;
using Monitoring.Collectors.Modbus.Protocol;

namespace Monitoring.Collectors.Modbus.Tests;

/// <summary>
/// Mutated and random responses into the decoder: it must classify every one without throwing, without hanging and
/// without allocating, and must only accept a frame whose data is exactly what the request asked for.
/// </summary>
public class CodecFuzzTests
{
    private const int Iterations = 150_000;

    [Fact]
    public async Task Mutated_and_random_responses_never_throw_hang_or_allocate()
    {
        var result = await Task.Run(Fuzz).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Iterations, result.Decoded);
        Assert.Equal(0, result.AllocatedBytes);
        Assert.Equal(0, result.AcceptedWithWrongData);
        // The mutations must reach both outcomes, and many kinds of rejection, or the fuzzer proves nothing.
        Assert.True(result.Accepted > 1000, $"accepted {result.Accepted}");
        Assert.True(result.Statuses.Count(n => n > 0) >= 9, string.Join(",", result.Statuses));
    }

    private static FuzzResult Fuzz()
    {
        var random = new Random(20261122);
        var frame = new byte[ModbusCodec.MaxAduLength + 64];
        var values = new ushort[ModbusCodec.MaxReadRegisters];
        var bits = new bool[ModbusCodec.MaxReadBits];
        var statuses = new int[Enum.GetValues<ModbusDecodeStatus>().Length];
        int accepted = 0, wrong = 0;

        // Warm up every path once so JIT and static initialisation do not count as allocation.
        for (var i = 0; i < 2000; i++)
        {
            Round(random, frame, values, bits, out _, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            var status = Round(random, frame, values, bits, out var ok, out var dataMatches);
            statuses[(int)status]++;
            if (ok)
            {
                accepted++;
                if (!dataMatches)
                {
                    wrong++;
                }
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        return new FuzzResult(Iterations, allocated, accepted, wrong, statuses);
    }

    private static ModbusDecodeStatus Round(Random random, byte[] frame, ushort[] registers, bool[] bits, out bool ok, out bool dataMatches)
    {
        var function = (ModbusFunctionCode)(random.Next(8) switch
        {
            0 => 1,
            1 => 2,
            2 => 3,
            3 => 4,
            4 => 5,
            5 => 6,
            6 => 15,
            _ => 16,
        });
        var transactionId = (ushort)random.Next(0x10000);
        var unit = (byte)random.Next(256);
        var address = (ushort)random.Next(0x8000);
        var isBits = function is ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs;
        var quantity = (ushort)(isBits ? random.Next(1, ModbusCodec.MaxReadBits + 1) : random.Next(1, ModbusCodec.MaxReadRegisters + 1));
        var value = (ushort)random.Next(0x10000);
        var request = function switch
        {
            ModbusFunctionCode.WriteSingleCoil => ModbusRequest.WriteSingleCoil(unit, address, value % 2 == 0),
            ModbusFunctionCode.WriteSingleRegister => ModbusRequest.WriteSingleRegister(unit, address, value),
            ModbusFunctionCode.WriteMultipleCoils => ModbusRequest.WriteMultipleCoils(unit, address, Math.Min((int)quantity, ModbusCodec.MaxWriteCoils)),
            ModbusFunctionCode.WriteMultipleRegisters => ModbusRequest.WriteMultipleRegisters(unit, address, Math.Min((int)quantity, ModbusCodec.MaxWriteRegisters)),
            _ => ModbusRequest.Read(unit, function, address, quantity),
        };

        var length = BuildValidResponse(frame, transactionId, request, random);
        length = Mutate(random, frame, length);

        var status = ModbusCodec.DecodeResponse(frame.AsSpan(0, length), transactionId, request, out var data, out var exception);
        ModbusCodec.TryReadFrameLength(frame.AsSpan(0, length), out _);
        ok = status == ModbusDecodeStatus.Ok;
        dataMatches = true;
        if (ok)
        {
            switch (function)
            {
                case ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs:
                    dataMatches = data.Length == (request.Quantity + 7) / 8;
                    ModbusCodec.UnpackBits(data, bits.AsSpan(0, request.Quantity));
                    break;
                case ModbusFunctionCode.ReadHoldingRegisters or ModbusFunctionCode.ReadInputRegisters:
                    dataMatches = data.Length == request.Quantity * 2;
                    ModbusCodec.ReadRegisters(data, registers.AsSpan(0, request.Quantity));
                    break;
                default:
                    dataMatches = data.Length == 4 && BinaryPrimitives.ReadUInt16BigEndian(data) == request.Address;
                    break;
            }
        }
        else if (status == ModbusDecodeStatus.ExceptionResponse)
        {
            dataMatches = exception != ModbusExceptionCode.None;
        }

        return status;
    }

    /// <summary>A correct response (sometimes an exception response) to the request, as a server would send it.</summary>
    private static int BuildValidResponse(byte[] frame, ushort transactionId, in ModbusRequest request, Random random)
    {
        int pduLength;
        var pdu = frame.AsSpan(7);
        if (random.Next(10) == 0)
        {
            pdu[0] = (byte)(request.FunctionCode | 0x80);
            pdu[1] = (byte)random.Next(1, 12);
            pduLength = 2;
        }
        else
        {
            pdu[0] = request.FunctionCode;
            switch ((ModbusFunctionCode)request.FunctionCode)
            {
                case ModbusFunctionCode.ReadCoils or ModbusFunctionCode.ReadDiscreteInputs:
                    pdu[1] = (byte)((request.Quantity + 7) / 8);
                    random.NextBytes(pdu.Slice(2, pdu[1]));
                    pduLength = 2 + pdu[1];
                    break;
                case ModbusFunctionCode.ReadHoldingRegisters or ModbusFunctionCode.ReadInputRegisters:
                    pdu[1] = (byte)(request.Quantity * 2);
                    random.NextBytes(pdu.Slice(2, pdu[1]));
                    pduLength = 2 + pdu[1];
                    break;
                case ModbusFunctionCode.WriteSingleCoil or ModbusFunctionCode.WriteSingleRegister:
                    BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], request.Address);
                    BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], request.Value);
                    pduLength = 5;
                    break;
                default:
                    BinaryPrimitives.WriteUInt16BigEndian(pdu[1..], request.Address);
                    BinaryPrimitives.WriteUInt16BigEndian(pdu[3..], request.Quantity);
                    pduLength = 5;
                    break;
            }
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame, transactionId);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)(pduLength + 1));
        frame[6] = request.UnitId;
        return 7 + pduLength;
    }

    private static int Mutate(Random random, byte[] frame, int length)
    {
        switch (random.Next(8))
        {
            case 0:
                return length; // untouched: must be accepted
            case 1:
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    frame[random.Next(length)] ^= (byte)(1 << random.Next(8));
                }

                return length;
            case 2:
                frame[random.Next(Math.Min(length, 9))] = (byte)random.Next(256);
                return length;
            case 3:
                return random.Next(length);
            case 4:
                var longer = Math.Min(frame.Length, length + random.Next(1, 40));
                random.NextBytes(frame.AsSpan(length, longer - length));
                return longer;
            case 5:
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(4), (ushort)random.Next(0x10000));
                return length;
            case 6:
                if (length > 8)
                {
                    frame[8] = (byte)random.Next(256); // byte count or address high byte
                }

                return length;
            default:
                var any = random.Next(frame.Length + 1);
                random.NextBytes(frame.AsSpan(0, any));
                return any;
        }
    }

    private sealed record FuzzResult(int Decoded, long AllocatedBytes, int Accepted, int AcceptedWithWrongData, int[] Statuses);
}
