using System.Globalization;
using System.Text;

namespace Monitoring.Core.Alarms;

/// <summary>Fills a rule's message template: {device}, {deviceName}, {port}, {portName}, {value}, {limit}, {unit}, {metric}, {for}, {event}, {text}, {rule}.</summary>
internal static class AlarmMessage
{
    public static string Format(RuleInstance instance, double? value) =>
        PlaceholderTemplate.Render(instance.Rule.Message, name => Resolve(instance, name, value));

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

    private static string? Resolve(RuleInstance instance, ReadOnlySpan<char> name, double? value)
    {
        var rule = instance.Rule;
        var metric = rule.Metric is { } m ? instance.Device.Model.FindMetric(m) : null;
        return name switch
        {
            "device" => instance.Device.Id,
            "deviceName" => instance.Device.Name,
            "port" => instance.Port >= 0 ? instance.Port.ToString(CultureInfo.InvariantCulture) : string.Empty,
            "portName" => instance.Port >= 0 ? instance.Device.Model.FindPort(instance.Port)?.Name ?? instance.Port.ToString(CultureInfo.InvariantCulture) : string.Empty,
            "value" => value is { } v ? v.ToString("0.##", CultureInfo.InvariantCulture) : string.Empty,
            "limit" => rule.Threshold?.Limit.ToString("0.##", CultureInfo.InvariantCulture) ?? rule.Rate?.Delta.ToString("0.##", CultureInfo.InvariantCulture) ?? string.Empty,
            "unit" => metric?.Unit ?? string.Empty,
            "metric" => rule.Metric ?? string.Empty,
            "for" => Duration(rule.Threshold?.For ?? rule.State?.For ?? rule.Rate?.Window ?? (rule.Absence is not null ? TimeSpan.FromTicks(instance.AbsenceAfterTicks) : TimeSpan.Zero)),
            "event" => instance.EventName ?? string.Empty,
            "text" => instance.EventText ?? string.Empty,
            "rule" => rule.Name,
            _ => null,
        };
    }
}
