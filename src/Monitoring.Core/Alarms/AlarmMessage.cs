using System.Globalization;
using System.Text;
using Monitoring.Core.Inventory;

namespace Monitoring.Core.Alarms;

/// <summary>Fills a rule's message template: {device}, {deviceName}, {port}, {portName}, {value}, {limit}, {unit}, {metric}, {for}, {event}, {text}, {rule}.</summary>
internal static class AlarmMessage
{
    public static string Format(RuleInstance instance, double? value) =>
        PlaceholderTemplate.Render(instance.Rule.Message, name => Resolve(instance, name, value, english: false));

    /// <summary>The rule's English message filled in, or null when the rule has none (readers fall back to the Chinese one).</summary>
    public static string? FormatEn(RuleInstance instance, double? value) =>
        instance.Rule.MessageEn is { } template ? PlaceholderTemplate.Render(template, name => Resolve(instance, name, value, english: true)) : null;

    /// <summary>Sets both messages of <paramref name="alarm"/> from its rule instance and value.</summary>
    public static void Apply(Alarm alarm, RuleInstance instance, double? value)
    {
        alarm.Message = Format(instance, value);
        alarm.MessageEn = FormatEn(instance, value);
    }

    /// <summary>A value as readers see it: the model's words for a discrete value (ups.mode 2: "on battery" / "电池供电"), else the number.</summary>
    public static string Value(MetricDefinition? metric, double value, bool english) =>
        metric?.WordsFor(value) is { } words ? (english ? words.En : words.Zh) : value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Duration(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        if (duration.Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Days}d");
        }

        if (duration.Hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Hours}h");
        }

        if (duration.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        }

        if (duration.Seconds > 0 || text.Length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Seconds}s");
        }

        return text.ToString();
    }

    private static string? Resolve(RuleInstance instance, ReadOnlySpan<char> name, double? value, bool english)
    {
        var rule = instance.Rule;
        var metric = rule.Metric is { } m ? instance.Device.Model.FindMetric(m) : null;
        return name switch
        {
            "device" => instance.Device.Id,
            "deviceName" => instance.Device.Name,
            "port" => instance.Port >= 0 ? instance.Port.ToString(CultureInfo.InvariantCulture) : string.Empty,
            "portName" => instance.Port >= 0 ? instance.Device.Model.FindPort(instance.Port)?.Name ?? instance.Port.ToString(CultureInfo.InvariantCulture) : string.Empty,
            "value" => value is { } v ? Value(metric, v, english) : string.Empty,
            "limit" => rule.Threshold?.Limit.ToString("0.##", CultureInfo.InvariantCulture) ?? rule.Rate?.Delta.ToString("0.##", CultureInfo.InvariantCulture) ?? string.Empty,
            "unit" => metric?.Unit ?? string.Empty,
            "metric" => rule.Metric ?? string.Empty,
            "for" => Duration(rule.Threshold?.For ?? rule.State?.For ?? rule.Rate?.Window ?? (rule.Absence is not null ? TimeSpan.FromTicks(instance.AbsenceAfterTicks) : TimeSpan.Zero)),
            "event" => instance.EventName ?? string.Empty,
            "text" => instance.EventText ?? string.Empty,
            "rule" => english ? rule.NameEn ?? rule.Name : rule.Name,
            _ => null,
        };
    }
}
