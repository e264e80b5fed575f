namespace Monitoring.Collectors.Modbus.Profiles;

/// <summary>The Modbus profiles loaded at start, keyed by id ("modbus/ups"): one object to register and inject.</summary>
public sealed class ModbusProfileSet(IReadOnlyDictionary<string, ModbusProfile> profiles)
{
    public IReadOnlyDictionary<string, ModbusProfile> Profiles { get; } = profiles ?? throw new ArgumentNullException(nameof(profiles));
}
