using Monitoring.Collectors.Modbus.Client;

namespace Monitoring.Collectors.Modbus;

/// <summary>What a sound-and-light alarm lamp shows.</summary>
[Flags]
public enum AlarmLampSignals
{
    None = 0,
    Red = 1,
    Yellow = 2,
    Green = 4,
    Buzzer = 8,
}

/// <summary>The coil address of each of the lamp's outputs.</summary>
public readonly record struct AlarmLampCoils(ushort Red, ushort Yellow, ushort Green, ushort Buzzer)
{
    /// <summary>Red, yellow, green and buzzer on four consecutive coils from <paramref name="first"/>.</summary>
    public static AlarmLampCoils Consecutive(ushort first) => new(first, (ushort)(first + 1), (ushort)(first + 2), (ushort)(first + 3));
}

/// <summary>
/// A Modbus-driven alarm lamp (a relay module or a tower light): sets its coils with one FC 15 write when they are
/// consecutive (or one FC 5 write each, when they are not or the device only takes single writes) and reads them back
/// with FC 1.
/// </summary>
public sealed class AlarmLamp
{
    private static readonly AlarmLampSignals[] Outputs = [AlarmLampSignals.Red, AlarmLampSignals.Yellow, AlarmLampSignals.Green, AlarmLampSignals.Buzzer];

    private readonly ModbusTcpClient _client;
    private readonly byte _unitId;
    private readonly ushort[] _addresses;
    private readonly bool _singleWrites;
    private readonly ushort _first;
    private readonly int _span;

    public AlarmLamp(ModbusTcpClient client, byte unitId, AlarmLampCoils coils, bool useSingleCoilWrites = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _unitId = unitId;
        _addresses = [coils.Red, coils.Yellow, coils.Green, coils.Buzzer];
        if (_addresses.Distinct().Count() != _addresses.Length)
        {
            throw new ArgumentException("each lamp output needs its own coil", nameof(coils));
        }

        _first = _addresses.Min();
        _span = _addresses.Max() - _first + 1;
        _singleWrites = useSingleCoilWrites || _span != _addresses.Length;
    }

    /// <summary>Whether <see cref="SetAsync"/> writes one coil at a time (FC 5) rather than all at once (FC 15).</summary>
    public bool UsesSingleCoilWrites => _singleWrites;

    public async ValueTask SetAsync(AlarmLampSignals signals, CancellationToken cancellationToken = default)
    {
        if (_singleWrites)
        {
            for (var i = 0; i < Outputs.Length; i++)
            {
                await _client.WriteSingleCoilAsync(_unitId, _addresses[i], signals.HasFlag(Outputs[i]), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var states = new bool[_span];
        for (var i = 0; i < Outputs.Length; i++)
        {
            states[_addresses[i] - _first] = signals.HasFlag(Outputs[i]);
        }

        await _client.WriteMultipleCoilsAsync(_unitId, _first, states, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the coils back (FC 1) and says what the lamp shows now.</summary>
    public async ValueTask<AlarmLampSignals> ReadAsync(CancellationToken cancellationToken = default)
    {
        var states = new bool[_span];
        await _client.ReadCoilsAsync(_unitId, _first, states, cancellationToken).ConfigureAwait(false);
        var signals = AlarmLampSignals.None;
        for (var i = 0; i < Outputs.Length; i++)
        {
            if (states[_addresses[i] - _first])
            {
                signals |= Outputs[i];
            }
        }

        return signals;
    }
}
