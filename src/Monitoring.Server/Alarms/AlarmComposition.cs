using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Series;
using Microsoft.Extensions.Options;
using Monitoring.Storage;
using Monitoring.Storage.Alarms;

namespace Monitoring.Server.Alarms;

/// <summary>Loads the rules and builds the alarm engine: the one place that knows the engine's concrete types.</summary>
internal static class AlarmComposition
{
    /// <summary>Loads every rule file of the folder; throws <see cref="ConfigException"/> listing every file:line:col error.</summary>
    /// <summary>The rules of a folder; errors stop the start, warnings (rules that match no device) go to <paramref name="warnings"/>.</summary>
    public static AlarmRuleSet LoadRules(string directory, Inventory inventory, List<ConfigError>? warnings = null)
    {
        if (!Directory.Exists(directory))
        {
            return AlarmRuleSet.Empty;
        }

        var result = AlarmRuleLoader.LoadDirectory(directory, inventory);
        if (!result.Ok)
        {
            throw new ConfigException(result.Errors);
        }

        warnings?.AddRange(result.Warnings);

        return result.Rules;
    }

    public static AlarmRuntime Create(IServiceProvider services, AlarmRuleSet rules, string directory)
    {
        var settings = services.GetRequiredService<IOptions<AlarmOptions>>().Value;
        // The engine is built while the host resolves its services, before any hosted service starts: bring the database up
        // to date here (StartupService finds nothing left to do) so the store can open and active alarms come back.
        var database = services.GetRequiredService<Database>();
        services.GetRequiredService<Migrator>().EnsureMigratedAsync(CancellationToken.None).GetAwaiter().GetResult();
        var store = SqliteAlarmStore.OpenAsync(
            database, services.GetRequiredService<ILogger<SqliteAlarmStore>>(), CancellationToken.None, services.GetRequiredService<TimeProvider>()).GetAwaiter().GetResult();
        // Monitoring:Alarms:Engine: PollInterval (absence rules' "intervals"), flapping, ticket policy, rate samples
        var engineOptions = services.GetRequiredService<IConfiguration>().GetSection(AlarmOptions.Section + ":Engine").Get<AlarmEngineOptions>() ?? new AlarmEngineOptions();
        engineOptions.MaxMute = TimeSpan.FromMinutes(Math.Max(1, settings.MaxMuteMinutes));
        engineOptions.MaxShelve = TimeSpan.FromMinutes(Math.Max(1, settings.MaxShelveMinutes));
        var engine = new AlarmEngine(
            rules,
            services.GetRequiredService<Inventory>(),
            services.GetRequiredService<SeriesRegistry>(),
            store,
            engineOptions,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILogger<AlarmEngine>>());
        return new AlarmRuntime(engine, engine, engine.Start, engine.Tick, rules.Rules.Count, directory, engine, store) { Store = store };
    }
}
