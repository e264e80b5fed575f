namespace Monitoring.Core.Live;

/// <summary>What changed since the last drain: the series with new values, and devices and ports whose status moved.</summary>
public sealed class ChangeSet
{
    public List<int> Series { get; } = [];

    public List<int> Devices { get; } = [];

    /// <summary>(device index, position of the port in the model's port list).</summary>
    public List<(int Device, int PortPosition)> Ports { get; } = [];

    public bool IsEmpty => Series.Count == 0 && Devices.Count == 0 && Ports.Count == 0;

    public void Clear()
    {
        Series.Clear();
        Devices.Clear();
        Ports.Clear();
    }
}
