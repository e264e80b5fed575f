using Monitoring.Core.Inventory;
using Monitoring.Core.Inventory.Loading;

namespace Monitoring.Core.Tests.InventoryLoading;

public sealed class PortLayoutTests
{
    private static PortGroup Group(PortNumbering numbering) => new()
    {
        Kind = PortKind.Copper,
        Count = 6,
        Rows = 2,
        FirstIndex = 11,
        NamePattern = "P{n}",
        Numbering = numbering,
        PanelX = 0.2,
        PanelY = 0.1,
        PanelWidth = 0.6,
        PanelHeight = 0.8,
    };

    [Fact]
    public void Column_numbering_puts_odd_ports_on_top_and_even_ports_below()
    {
        var ports = PortLayout.Expand(Group(PortNumbering.Columns)).ToList();
        Assert.Equal(["P11", "P12", "P13", "P14", "P15", "P16"], ports.Select(p => p.Name));
        Assert.Equal([(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (1, 2)], ports.Select(p => (p.Row, p.Column)));

        // Three columns 0.2 wide from x 0.2; two rows 0.4 high from y 0.1, the top row first.
        Assert.Equal([0.3, 0.3, 0.5, 0.5, 0.7, 0.7], ports.Select(p => Math.Round(p.PanelX, 9)));
        Assert.Equal([0.7, 0.3, 0.7, 0.3, 0.7, 0.3], ports.Select(p => Math.Round(p.PanelY, 9)));
    }

    [Fact]
    public void Row_numbering_fills_the_top_row_first()
    {
        var ports = PortLayout.Expand(Group(PortNumbering.Rows)).ToList();
        Assert.Equal([(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], ports.Select(p => (p.Row, p.Column)));
        Assert.Equal([0.7, 0.7, 0.7, 0.3, 0.3, 0.3], ports.Select(p => Math.Round(p.PanelY, 9)));
    }

    [Fact]
    public void An_odd_count_leaves_the_last_cell_empty()
    {
        var group = Group(PortNumbering.Columns) with { Count = 5 };
        var ports = PortLayout.Expand(group).ToList();
        Assert.Equal(5, ports.Count);
        Assert.Equal((0, 2), (ports[^1].Row, ports[^1].Column));
        Assert.Equal(0.7, ports[^1].PanelX, 9);
    }
}
