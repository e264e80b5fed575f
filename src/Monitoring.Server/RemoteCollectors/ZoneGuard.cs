using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;

namespace Monitoring.Server.RemoteCollectors;

/// <summary>A collector token writes samples of its own zone's devices only; this finds the first line that does not.</summary>
internal static class ZoneGuard
{
    /// <summary>Why the body may not be written with a token of <paramref name="zone"/> (naming the device), or null when every line is of the zone.</summary>
    public static string? FirstOutside(ReadOnlySpan<byte> body, TimestampPrecision precision, string zone, Inventory inventory)
    {
        var reader = new LineProtocolReader(body, precision, 0);
        Span<char> id = stackalloc char[256];
        while (reader.Read())
        {
            if (!reader.IsValid)
            {
                continue; // malformed lines are the ingest's to report
            }

            if (!reader.TryGetTag("device"u8, out var tag))
            {
                return $"line {reader.LineNumber} names no device: a collector token of zone '{zone}' writes samples of that zone's devices only (a device tag)";
            }

            string? name = null;
            if (tag.ValueHasEscapes || tag.Value.Length > id.Length || System.Text.Encoding.UTF8.GetChars(tag.Value, id) is var length && !inventory.TryFindDevice(id[..length], out var device))
            {
                name = tag.ValueText;
                device = inventory.FindDevice(name);
            }

            if (device is null || !string.Equals(device.Zone, zone, StringComparison.Ordinal))
            {
                var shown = name ?? tag.ValueText;
                return device is null
                    ? $"device '{shown}' (line {reader.LineNumber}) is not in the inventory; a collector token of zone '{zone}' writes that zone's devices only"
                    : $"device '{shown}' (line {reader.LineNumber}) is in zone '{device.Zone ?? "(none)"}', not in zone '{zone}' this collector token is bound to";
            }
        }

        return null;
    }
}
