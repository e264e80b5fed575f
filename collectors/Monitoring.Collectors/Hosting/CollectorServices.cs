using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Monitoring.Collectors.Hosting;

/// <summary>The registrations every protocol module (AddSnmp, AddModbus, AddMqtt) makes the same way.</summary>
public static class CollectorServices
{
    /// <summary>The collector as a singleton (tests and /healthz may ask for it) run by a <see cref="CollectorHost{TCollector}"/>.</summary>
    public static IServiceCollection AddCollector<TCollector>(this IServiceCollection services)
        where TCollector : class, ICollector
    {
        services.TryAddSingleton<TCollector>();
        services.TryAddSingleton(RemoteZones.None);
        services.AddHostedService<CollectorHost<TCollector>>();
        return services;
    }

    /// <summary>Where the collector of <paramref name="protocol"/> reaches devices: the room file's address, unless a plug-in (the demo simulator) registered its own.</summary>
    public static IServiceCollection AddDeviceEndpoints(this IServiceCollection services, string protocol)
    {
        services.TryAddKeyedSingleton<IDeviceEndpoints>(protocol, RoomAddresses.Instance);
        return services;
    }

    /// <summary>Replaces where <paramref name="protocol"/>'s devices are reached (whichever of the two calls comes first).</summary>
    public static IServiceCollection ReplaceDeviceEndpoints(this IServiceCollection services, string protocol, Func<IServiceProvider, IDeviceEndpoints> endpoints)
    {
        services.RemoveAllKeyed<IDeviceEndpoints>(protocol);
        services.AddKeyedSingleton(protocol, (sp, _) => endpoints(sp));
        return services;
    }

    /// <summary>
    /// Binds <paramref name="section"/> to <typeparamref name="TOptions"/> and checks it when the host starts: each failure
    /// <paramref name="validate"/> yields names the key ("Monitoring:Snmp:IntervalSeconds must be at least 1"), and the
    /// server does not start with any. A value of the wrong type fails the same way, naming the key.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string section, Func<TOptions, IEnumerable<string>> validate)
        where TOptions : class
    {
        services.AddSingleton<IValidateOptions<TOptions>>(new Validation<TOptions>(validate));
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }

    private sealed class Validation<TOptions>(Func<TOptions, IEnumerable<string>> validate) : IValidateOptions<TOptions>
        where TOptions : class
    {
        public ValidateOptionsResult Validate(string? name, TOptions options)
        {
            var failures = validate(options).ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
