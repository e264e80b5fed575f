using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Monitoring.Core.Inventory;
using Monitoring.Storage.History;
using Monitoring.Server.Security;

namespace Monitoring.Server.Api;

/// <summary>One point of a series' history: <c>t</c> in Unix milliseconds (the bucket's start), min/max/avg/last and sample count.</summary>
public sealed record SeriesPointDto(long T, double Min, double Max, double Avg, double Last, long Count);

/// <summary>The history of one series over a range: which tier answered and at what bucket width (seconds; 0 = raw samples).</summary>
public sealed record SeriesHistoryDto(
    string Device, string Metric, int? Port, string Tier, double StepSeconds, DateTimeOffset From, DateTimeOffset To, string? Unit,
    IReadOnlyList<SeriesPointDto> Points);

/// <summary>
/// <c>GET /api/series</c>: the history of one series at the resolution that fits the range, read through the configured
/// <see cref="ISeriesReader"/> (the embedded history, or in a cluster the InfluxDB/VictoriaMetrics target).
/// </summary>
internal static class HistoryEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/series", GetAsync)
            .WithName("GetSeriesHistory").Requires(Capability.Read)
            .WithSummary("History of one series")
            .WithDescription(
                "Points of one device (or port) metric in [from, to): raw samples for ranges up to 6 h, 1-minute rollups up to 7 days, " +
                "1-hour rollups beyond; 'step' (seconds, or 30s/5m/1h/1d) re-buckets. 'from'/'to' are ISO 8601 or Unix milliseconds; " +
                "defaults: the last hour. 'port' is a port index or name. With Monitoring:History:ReadFrom = Influx or VictoriaMetrics the points come " +
                "from that database; it failing or timing out answers 503 naming it.");
    }

    internal static async Task<Results<Ok<SeriesHistoryDto>, Problem<Status400>, Problem<Status404>, Problem<Status503>>> GetAsync(
        string? device, string? metric, string? port, string? from, string? to, string? step,
        Inventory inventory, ISeriesReader reader, TimeProvider time, System.Security.Claims.ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(device))
        {
            return BadParameter("device", "is required");
        }

        if (string.IsNullOrWhiteSpace(metric))
        {
            return BadParameter("metric", "is required");
        }

        // a device of a room the caller may not see (a trainee, a room without training: true) is answered like no device
        if (inventory.FindDevice(device) is not { } found || !Principals.MaySee(user, inventory, found.RoomId))
        {
            return NotFound($"no device '{device}'");
        }

        var portIndex = -1;
        if (!string.IsNullOrEmpty(port) && !TryFindPort(found.Model, port, out portIndex))
        {
            return BadParameter("port", $"device '{device}' (model {found.Model.Id}) has no port '{port}'");
        }

        var now = time.GetUtcNow();
        DateTimeOffset end = now;
        if (!string.IsNullOrEmpty(to) && !TryParseTime(to, out end))
        {
            return BadParameter("to", "must be an ISO 8601 time or Unix milliseconds");
        }

        var start = end.AddHours(-1);
        if (!string.IsNullOrEmpty(from) && !TryParseTime(from, out start))
        {
            return BadParameter("from", "must be an ISO 8601 time or Unix milliseconds");
        }

        if (start >= end)
        {
            return BadParameter("from", "must be before 'to'");
        }

        TimeSpan? width = null;
        if (!string.IsNullOrEmpty(step))
        {
            if (!TryParseStep(step, out var parsed))
            {
                return BadParameter("step", "must be a positive number of seconds or a duration such as 30s, 5m, 1h, 1d");
            }

            width = parsed;
        }

        var definition = found.Model.FindMetric(metric);
        HistoryResult? result;
        try
        {
            result = await reader.ReadAsync(new SeriesReadRequest(found, metric, portIndex, start, end, width), cancellationToken).ConfigureAwait(false);
        }
        catch (SeriesReadException e)
        {
            // never a silent empty chart: the caller learns which database did not answer
            return new Problem<Status503>(
                $"the time-series database {e.Target} did not answer", $"{e.Target} {e.Message}",
                extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["target"] = e.Target, ["source"] = reader.Source.ToString() });
        }

        if (result is null && definition is null)
        {
            return NotFound($"device '{device}' has no metric '{metric}'{(portIndex >= 0 ? $" on port {portIndex}" : string.Empty)}");
        }

        var tier = result?.Tier ?? HistoryStore.ChooseTier(end - start, width);
        var points = result?.Points.Select(p => new SeriesPointDto(p.TimestampNs / 1_000_000, p.Min, p.Max, p.Avg, p.Last, p.Count)).ToArray() ?? [];
        return TypedResults.Ok(new SeriesHistoryDto(
            found.Id, metric, portIndex >= 0 ? portIndex : null, TierName(tier), result?.Step.TotalSeconds ?? 0, start, end, definition?.Unit, points));
    }

    internal static string TierName(HistoryTier tier) => tier switch
    {
        HistoryTier.Minute => "1m",
        HistoryTier.Hour => "1h",
        _ => "raw",
    };

    internal static bool TryParseTime(string text, out DateTimeOffset time)
    {
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ms))
        {
            if (ms is >= -62_135_596_800_000 and <= 253_402_300_799_999)
            {
                time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
                return true;
            }

            time = default;
            return false;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }

    internal static bool TryParseStep(string text, out TimeSpan step)
    {
        step = default;
        var unit = text[^1] switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, 'd' => 86400L, _ => 0L };
        var digits = unit == 0 ? text.AsSpan() : text.AsSpan(0, text.Length - 1);
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0 || count > 366L * 86400)
        {
            return false;
        }

        step = TimeSpan.FromSeconds(count * (unit == 0 ? 1 : unit));
        return step <= TimeSpan.FromDays(366);
    }

    private static bool TryFindPort(DeviceModel model, string port, out int index)
    {
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out index) && model.FindPort(index) is not null)
        {
            return true;
        }

        foreach (var definition in model.Ports)
        {
            if (definition.Name.Equals(port, StringComparison.OrdinalIgnoreCase))
            {
                index = definition.Index;
                return true;
            }
        }

        index = -1;
        return false;
    }

    private static Problem<Status400> BadParameter(string name, string why) =>
        new($"bad parameter '{name}'", $"'{name}' {why}",
            extensions: new Dictionary<string, object?>(StringComparer.Ordinal) { ["parameter"] = name });

    private static Problem<Status404> NotFound(string title) => new(title);
}
