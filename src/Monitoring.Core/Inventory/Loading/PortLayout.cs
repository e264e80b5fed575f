namespace Monitoring.Core.Inventory.Loading;

/// <summary>Expands port groups into ports placed on the front panel.</summary>
internal static class PortLayout
{
    /// <summary>
    /// Lays a group's ports out on a grid of <see cref="PortGroup.Rows"/> rows inside the group's panel rectangle.
    /// Row 0 is the top row and column 0 the left one; the socket centre is given as fractions of the panel,
    /// x from the left edge, y up from the bottom edge.
    /// </summary>
    public static IEnumerable<PortDefinition> Expand(PortGroup group)
    {
        var rows = Math.Max(1, group.Rows);
        var columns = (group.Count + rows - 1) / rows;
        var cellWidth = group.PanelWidth / columns;
        var cellHeight = group.PanelHeight / rows;
        for (var i = 0; i < group.Count; i++)
        {
            var (row, column) = group.Numbering == PortNumbering.Columns ? (i % rows, i / rows) : (i / columns, i % columns);
            var index = group.FirstIndex + i;
            var x = group.PanelX + ((column + 0.5) * cellWidth);
            var y = group.PanelY + group.PanelHeight - ((row + 0.5) * cellHeight);
            yield return new PortDefinition(index, PortName(group.NamePattern, index), group.Kind, x, y, row, column);
        }
    }

    public static string PortName(string pattern, int index) =>
        pattern.Replace("{n}", index.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

    /// <summary>"1-48, 49-52" style summary of a model's port indexes, for error messages.</summary>
    public static string Ranges(IReadOnlyList<PortDefinition> ports)
    {
        if (ports.Count == 0)
        {
            return "none";
        }

        var indexes = ports.Select(p => p.Index).Order().ToArray();
        var parts = new List<string>();
        var start = indexes[0];
        for (var i = 1; i <= indexes.Length; i++)
        {
            if (i == indexes.Length || indexes[i] != indexes[i - 1] + 1)
            {
                var end = indexes[i - 1];
                parts.Add(start == end ? $"{start}" : $"{start}-{end}");
                if (i < indexes.Length)
                {
                    start = indexes[i];
                }
            }
        }

        return string.Join(", ", parts);
    }
}
