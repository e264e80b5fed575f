using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Modbus.Profiles;

namespace Monitoring.Collectors.Modbus.Hosting;

/// <summary>Modbus TCP as one module: options, profiles (register maps) and the poller.</summary>
public static class ModbusModule
{
    /// <summary>The key of Modbus's <see cref="IDeviceEndpoints"/>.</summary>
    public const string Protocol = "modbus";

    /// <summary>
    /// Polls the rooms' Modbus devices (<c>Monitoring:Modbus</c>, validated at start) with the register maps of
    /// device-profiles/modbus/. Needs <see cref="DeviceProfilesBuilder.AddDeviceProfiles"/> first.
    /// </summary>
    public static IHostApplicationBuilder AddModbus(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var profiles = builder.DeviceProfiles().Get(directory => new ModbusProfileSet(ModbusProfileLoader.LoadFolder(directory)));
        var services = builder.Services;
        services.AddValidatedOptions<ModbusOptions>(ModbusOptions.Section, ModbusOptions.Validate);
        services.TryAddSingleton(profiles);
        services.AddDeviceEndpoints(Protocol);
        services.AddCollector<ModbusPollingCollector>();
        return builder;
    }
}
