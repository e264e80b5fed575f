using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Modbus.Tests.Peers;

/// <summary>The repository's device-profiles/ (the demo room, its models and the Modbus profiles), found from the test's folder.</summary>
internal static class DemoProfiles
{
    private static readonly Lazy<string> RootPath = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "device-profiles");
            if (Directory.Exists(Path.Combine(candidate, "modbus")) && Directory.Exists(Path.Combine(candidate, "rooms")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("device-profiles/ not found above " + AppContext.BaseDirectory);
    });

    private static readonly Lazy<Inventory> LoadedInventory = new(() => InventoryLoader.Load(Root));

    private static readonly Lazy<IReadOnlyDictionary<string, ModbusProfile>> LoadedProfiles = new(() => ModbusProfileLoader.LoadFolder(Root));

    public static string Root => RootPath.Value;

    public static Inventory Inventory => LoadedInventory.Value;

    public static IReadOnlyDictionary<string, ModbusProfile> Profiles => LoadedProfiles.Value;
}

/// <summary>A clock that stands still unless a test moves it; timers still run on real time.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
