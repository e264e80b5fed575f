namespace Monitoring.Server.RemoteCollectors;

/// <summary>
/// The "Monitoring:Collectors" section: which zones remote collector nodes serve, and when a zone that stopped
/// reporting counts as late and as lost (docs/DEPLOYMENT.md).
/// </summary>
public sealed class CollectorOptions
{
    public const string Section = "Monitoring:Collectors";

    /// <summary>Zones (room files' <c>zone:</c>) a remote collector node polls; the server polls none of their devices. A collector token's zone counts too.</summary>
    public List<string> RemoteZones { get; set; } = [];

    /// <summary>A zone whose last heartbeat is older than this is late (seconds, at least 1).</summary>
    public int LateSeconds { get; set; } = 30;

    /// <summary>A zone whose last heartbeat is older than this is lost (seconds, more than <see cref="LateSeconds"/>).</summary>
    public int LostSeconds { get; set; } = 120;

    /// <summary>How often a collector node is told to refresh its configuration and to report (seconds, at least 1).</summary>
    public int HeartbeatSeconds { get; set; } = 10;

    internal static IEnumerable<string> Validate(CollectorOptions options)
    {
        if (options.LateSeconds < 1)
        {
            yield return $"{Section}:LateSeconds must be at least 1 (seconds); it is {options.LateSeconds}";
        }

        if (options.LostSeconds <= options.LateSeconds)
        {
            yield return $"{Section}:LostSeconds must be more than LateSeconds ({options.LateSeconds}); it is {options.LostSeconds}";
        }

        if (options.HeartbeatSeconds < 1)
        {
            yield return $"{Section}:HeartbeatSeconds must be at least 1 (seconds); it is {options.HeartbeatSeconds}";
        }

        foreach (var zone in options.RemoteZones.Where(z => !ZoneNames.IsValid(z)))
        {
            yield return $"{Section}:RemoteZones: '{zone}' is not a zone name (letters, digits, '.', '_', '-', starting with a letter or digit)";
        }
    }
}

/// <summary>What a zone may be called: the room files' id rule.</summary>
public static class ZoneNames
{
    public static bool IsValid(string? zone) =>
        !string.IsNullOrEmpty(zone) && zone.Length <= 100 && char.IsAsciiLetterOrDigit(zone[0])
        && zone.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
