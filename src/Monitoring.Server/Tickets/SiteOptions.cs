namespace Monitoring.Server.Tickets;

/// <summary>
/// The "Monitoring:Site" section: where the site is. Its <see cref="TimeZone"/> decides which calendar day a ticket
/// counts on in the service report. Checked when the host starts: an unknown zone stops the start naming the key.
/// </summary>
public sealed class SiteOptions
{
    public const string Section = "Monitoring:Site";

    /// <summary>The site's time zone as an IANA id ("Asia/Shanghai", "Europe/Berlin"); empty = the server's local zone.</summary>
    public string? TimeZone { get; set; }

    /// <summary>The zone reports group days by: the configured one, or the server's local zone.</summary>
    public TimeZoneInfo Zone => string.IsNullOrWhiteSpace(TimeZone) ? TimeZoneInfo.Local : TimeZoneInfo.FindSystemTimeZoneById(TimeZone.Trim());

    internal static IEnumerable<string> Validate(SiteOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(options.TimeZone.Trim(), out _))
        {
            yield return $"{Section}:TimeZone '{options.TimeZone}' is not a time zone this machine knows: give an IANA id such as Asia/Shanghai or Europe/Berlin, or leave it empty for the server's local zone";
        }
    }
}
