namespace Monitoring.Core.Inventory;

/// <summary>Live status of a device or port, ordered from least to most severe for "worst of" roll-ups.</summary>
public enum Status
{
    Unknown = 0,
    Ok = 1,
    Warning = 2,
    Alarm = 3,
    Down = 4,
}
