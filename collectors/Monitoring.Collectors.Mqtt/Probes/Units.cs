namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>
/// The units a probe may say it sends, and how each converts to the unit a model declares: temperatures in °F or K
/// become °C; a fraction (0-1) becomes %. Any other pair must be the same unit.
/// </summary>
public static class Units
{
    public static readonly IReadOnlyList<string> Known = ["°C", "°F", "K", "%", "fraction", "V", "A", "W", "kW", "Hz", "Pa", "ppm", "lx", "s", "min"];

    public static string? Find(string unit) => Known.FirstOrDefault(k => string.Equals(k, unit, StringComparison.Ordinal));

    /// <summary>A conversion from the probe's unit to the model's; null when there is none (the units differ and do not convert).</summary>
    public static Func<double, double>? Conversion(string from, string? to)
    {
        if (to is null || string.Equals(from, to, StringComparison.Ordinal))
        {
            return static v => v;
        }

        return (from, to) switch
        {
            ("°F", "°C") => static v => (v - 32) * 5 / 9,
            ("K", "°C") => static v => v - 273.15,
            ("°C", "°F") => static v => (v * 9 / 5) + 32,
            ("fraction", "%") => static v => v * 100,
            ("kW", "W") => static v => v * 1000,
            ("W", "kW") => static v => v / 1000,
            ("min", "s") => static v => v * 60,
            _ => null,
        };
    }
}
