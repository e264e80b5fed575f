namespace Monitoring.Collectors.Modbus.Registers;

/// <summary>The four Modbus data tables.</summary>
public enum RegisterType
{
    /// <summary>Read-write bits, FC 1 / 5 / 15.</summary>
    Coil,

    /// <summary>Read-only bits, FC 2.</summary>
    DiscreteInput,

    /// <summary>Read-write 16-bit registers, FC 3 / 6 / 16.</summary>
    HoldingRegister,

    /// <summary>Read-only 16-bit registers, FC 4.</summary>
    InputRegister,
}
