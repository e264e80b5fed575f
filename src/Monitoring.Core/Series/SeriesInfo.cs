using Monitoring.Core.Inventory;

namespace Monitoring.Core.Series;

/// <summary>What a series id stands for.</summary>
/// <param name="Id">Dense id, 0, 1, 2, ... in the order series were first seen.</param>
/// <param name="DeviceIndex">The inventory device's <see cref="Device.Index"/>, or -1 for a free-form series.</param>
/// <param name="Metric">"measurement.field", e.g. "interface.in_octets"; one string instance per distinct name.</param>
/// <param name="PortIndex">The port's <see cref="PortDefinition.Index"/>, or -1 for a device-scope or free-form series.</param>
/// <param name="FreeFormKey">For a free-form series, its measurement and tag set sorted by key, e.g. <c>cpu,host=a,region=b</c>.</param>
/// <param name="Definition">The device model's definition of the metric, when it has one.</param>
public sealed record SeriesInfo(int Id, int DeviceIndex, string Metric, int PortIndex, string? FreeFormKey, MetricDefinition? Definition)
{
    public bool IsFreeForm => DeviceIndex < 0;
}
