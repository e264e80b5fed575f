using System.Text;

namespace Monitoring.Collectors.Mqtt.Probes;

/// <summary>
/// Words a probe sends to the numbers its metric's states use: <c>wet: 1, dry: 0</c>, <c>open: 1, closed: 0</c>,
/// <c>true: 1, false: 0</c>. Looked up from UTF-8 bytes, case-insensitively for ASCII, with no allocation.
/// </summary>
public sealed class ValueMap
{
    private readonly (byte[] Word, double Value)[] _entries;

    public ValueMap(IEnumerable<KeyValuePair<string, double>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = [.. entries.Select(e => (Encoding.UTF8.GetBytes(e.Key), e.Value))];
    }

    public int Count => _entries.Length;

    public IEnumerable<KeyValuePair<string, double>> Entries =>
        _entries.Select(e => new KeyValuePair<string, double>(Encoding.UTF8.GetString(e.Word), e.Value));

    public bool TryMap(ReadOnlySpan<byte> word, out double value)
    {
        foreach (var (candidate, mapped) in _entries)
        {
            if (Ascii.EqualsIgnoreCase(word, candidate))
            {
                value = mapped;
                return true;
            }
        }

        value = 0;
        return false;
    }

    public bool TryMap(bool flag, out double value) => TryMap(flag ? "true"u8 : "false"u8, out value);
}
