namespace Monitoring.Collectors.Modbus.Hosting;

/// <summary>The "Monitoring:Modbus" section, validated at start.</summary>
public sealed class ModbusOptions
{
    public const string Section = "Monitoring:Modbus";

    /// <summary>
    /// Poll the room's Modbus devices. Null (the default) = only with the simulator, which serves them on loopback: the
    /// demo room's addresses are labels, not devices to reach. Set true in production to poll the real addresses.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>A profile's interval when it names none (seconds, at least 1).</summary>
    public int DefaultIntervalSeconds { get; set; } = 10;

    /// <summary>A profile's request timeout when it names none (milliseconds, at least 10).</summary>
    public int DefaultTimeoutMs { get; set; } = 2000;

    internal static IEnumerable<string> Validate(ModbusOptions options)
    {
        if (options.DefaultIntervalSeconds < 1)
        {
            yield return $"{Section}:DefaultIntervalSeconds must be at least 1 (seconds); it is {options.DefaultIntervalSeconds}";
        }

        if (options.DefaultTimeoutMs < 10)
        {
            yield return $"{Section}:DefaultTimeoutMs must be at least 10 (milliseconds); it is {options.DefaultTimeoutMs}";
        }
    }
}
