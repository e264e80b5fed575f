using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Monitoring.Collectors.Hosting;
using Monitoring.Collectors.Snmp.Collector;

namespace Monitoring.Collectors.Snmp.Hosting;

/// <summary>SNMP as one module: options, profiles, credentials, the poller and the trap listener.</summary>
public static class SnmpModule
{
    /// <summary>The key of SNMP's <see cref="IDeviceEndpoints"/>.</summary>
    public const string Protocol = "snmp";

    /// <summary>
    /// Polls the rooms' SNMP devices (<c>Monitoring:Snmp</c>, validated at start) with the profiles of
    /// device-profiles/snmp/ and the credentials of <c>Monitoring:Snmp:Credentials</c>, and listens for traps when
    /// <c>Monitoring:Snmp:Traps:Listen</c> is set. Needs <see cref="DeviceProfilesBuilder.AddDeviceProfiles"/> first.
    /// </summary>
    public static IHostApplicationBuilder AddSnmp(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var profiles = builder.DeviceProfiles().Get(SnmpProfileSet.Load);
        var services = builder.Services;
        services.AddValidatedOptions<SnmpOptions>(SnmpOptions.Section, SnmpOptions.Validate);
        services.TryAddSingleton(profiles);
        services.TryAddSingleton(sp => new SnmpCredentialStore(sp.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>()));
        services.TryAddSingleton<SnmpPortMaps>();
        services.TryAddSingleton(new NotificationLog(1000));
        services.AddDeviceEndpoints(Protocol);
        services.AddCollector<SnmpCollector>();
        services.AddCollector<SnmpTrapCollector>();
        return builder;
    }
}
