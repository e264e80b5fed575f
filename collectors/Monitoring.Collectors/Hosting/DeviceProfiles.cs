using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Monitoring.Core.Inventory;

namespace Monitoring.Collectors.Hosting;

/// <summary>
/// The loaded device-profiles/ folder: the inventory (rooms, models, devices) and, loaded once on first use, each
/// protocol's profile set. The composition root adds it first (<see cref="AddDeviceProfiles"/>); every protocol
/// module reads its profiles from it, so a broken file stops the server before it starts, naming file, line and column.
/// </summary>
public sealed class DeviceProfiles(string directory, Inventory inventory)
{
    private readonly Dictionary<Type, object> _loaded = [];
    private readonly Lock _gate = new();

    public string Directory { get; } = directory;

    public Inventory Inventory { get; } = inventory;

    /// <summary>The profile set of type <typeparamref name="T"/>, loaded from <see cref="Directory"/> the first time it is asked for.</summary>
    public T Get<T>(Func<string, T> load)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        lock (_gate)
        {
            if (!_loaded.TryGetValue(typeof(T), out var set))
            {
                set = load(Directory);
                _loaded[typeof(T)] = set;
            }

            return (T)set;
        }
    }
}

public static class DeviceProfilesBuilder
{
    /// <summary>Makes the loaded folder known to the modules added after it, and to every service.</summary>
    public static DeviceProfiles AddDeviceProfiles(this IHostApplicationBuilder builder, string directory, Inventory inventory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var profiles = new DeviceProfiles(directory, inventory);
        builder.Properties[typeof(DeviceProfiles)] = profiles;
        builder.Services.AddSingleton(profiles);
        builder.Services.AddSingleton(inventory);
        return profiles;
    }

    /// <summary>The folder <see cref="AddDeviceProfiles"/> loaded; a module added before it is a wiring mistake.</summary>
    public static DeviceProfiles DeviceProfiles(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Properties.TryGetValue(typeof(DeviceProfiles), out var profiles) && profiles is DeviceProfiles loaded
            ? loaded
            : throw new InvalidOperationException("AddDeviceProfiles must come before the protocol modules (AddSnmp, AddModbus, AddMqtt)");
    }
}
