using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Monitoring.Core.Alarms;
using Monitoring.Server.Tickets;

namespace Monitoring.Server.Alarms;

/// <summary>
/// A webhook body with {placeholders} filled from an alarm event. In a JSON template the values are JSON-escaped
/// (the template supplies the quotes: <c>{"text":"{message}"}</c>); an unknown placeholder is left as written.
/// </summary>
internal static class WebhookTemplate
{
    public static string Render(string template, AlarmEvent alarmEvent, bool json)
    {
        ArgumentNullException.ThrowIfNull(alarmEvent);
        return PlaceholderTemplate.Render(template, name => Value(name, alarmEvent), json ? JsonEscape : null);
    }

    public static string Render(string template, TicketEvent ticketEvent, bool json)
    {
        ArgumentNullException.ThrowIfNull(ticketEvent);
        return PlaceholderTemplate.Render(template, name => Value(name, ticketEvent), json ? JsonEscape : null);
    }

    /// <summary>The default body: the event as the API shows it.</summary>
    public static string DefaultBody(AlarmEvent alarmEvent, JsonSerializerOptions json) => JsonSerializer.Serialize(alarmEvent, json);

    /// <summary>The default body of a ticket event: as the console receives it.</summary>
    public static string DefaultBody(TicketEvent ticketEvent, JsonSerializerOptions json) => JsonSerializer.Serialize(ticketEvent, json);

    private static string? Value(ReadOnlySpan<char> name, TicketEvent e)
    {
        var t = e.Ticket;
        return name switch
        {
            "event" => Core.Tickets.TicketEventKinds.Wire(e.Kind),
            "id" => e.TicketId.ToString(CultureInfo.InvariantCulture),
            "number" => e.Number,
            "title" => t?.Title ?? string.Empty,
            "category" => t is null ? string.Empty : JsonNamingPolicy.CamelCase.ConvertName(t.Category.ToString()),
            "priority" => t is null ? string.Empty : JsonNamingPolicy.CamelCase.ConvertName(t.Priority.ToString()),
            "status" => t is null ? string.Empty : JsonNamingPolicy.CamelCase.ConvertName(t.Status.ToString()),
            "device" => t?.DeviceId ?? string.Empty,
            "port" => t?.Port?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            "rack" => t?.RackId ?? string.Empty,
            "room" => t?.RoomId ?? string.Empty,
            "area" => t?.AreaId ?? string.Empty,
            "team" => t?.TeamId ?? string.Empty,
            "holder" => t?.Holder ?? string.Empty,
            "detail" => e.Detail ?? string.Empty,
            "by" => e.By ?? string.Empty,
            "notify" => string.Join(", ", e.NotifyWhom),
            "at" => Utc(e.At),
            "dueAt" => t?.DueAt is { } due ? Utc(due) : string.Empty,
            _ => null,
        };
    }

    private static string JsonEscape(string value) => JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value;

    private static string Utc(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string? Value(ReadOnlySpan<char> name, AlarmEvent e)
    {
        var a = e.Alarm;
        return name switch
        {
            "event" => JsonNamingPolicy.CamelCase.ConvertName(e.Kind.ToString()),
            "id" => a.Id.ToString(CultureInfo.InvariantCulture),
            "severity" => a.Severity.ToString().ToLowerInvariant(),
            "device" => a.Target.DeviceId,
            "port" => a.Target.Port?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
            "target" => a.Target.ToString(),
            "rack" => a.Target.RackId ?? string.Empty,
            "room" => a.Target.RoomId,
            "rule" => a.RuleName,
            "ruleId" => a.RuleId,
            "message" => a.Message,
            "messageEn" => a.MessageEn ?? a.Message,
            "metric" => a.Metric ?? string.Empty,
            "value" => a.Value?.ToString("G6", CultureInfo.InvariantCulture) ?? string.Empty,
            "state" => a.State.ToString().ToLowerInvariant(),
            "raisedAt" => a.RaisedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "at" => e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "user" => a.Acknowledgement?.By ?? string.Empty,
            "comment" => a.Acknowledgement?.Comment ?? string.Empty,
            _ => null,
        };
    }

    /// <summary>A URL safe to log: user info and query string replaced, since gateways put keys there.</summary>
    public static string MaskUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "(invalid url)";
        }

        var builder = new StringBuilder();
        builder.Append(uri.Scheme).Append("://");
        if (uri.UserInfo.Length > 0)
        {
            builder.Append("***@");
        }

        builder.Append(uri.Authority).Append(uri.AbsolutePath);
        if (uri.Query.Length > 1)
        {
            builder.Append("?***");
        }

        return builder.ToString();
    }
}
