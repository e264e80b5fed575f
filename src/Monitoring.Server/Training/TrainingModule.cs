using Microsoft.Extensions.DependencyInjection.Extensions;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;
using Monitoring.Core.Training;
using Monitoring.Server.Alarms;
using Monitoring.Server.Tickets;
using Monitoring.Server.Training.Scoring;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Training;

/// <summary>The drills the server loaded from device-profiles/drills (all valid: an invalid one stops the start).</summary>
public sealed class DrillCatalog(IReadOnlyList<Drill> drills)
{
    public IReadOnlyList<Drill> Drills { get; } = drills;

    public Drill? Find(string id) => Drills.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));
}

/// <summary>
/// Training, the groundwork of issue 21: the drill files, checked against the rooms, rules and teams at start like
/// every other file of device-profiles (an invalid drill stops the start with every file:line:col error), and the
/// instructor's read-only view of them. Sessions, replays and quizzes come later.
/// </summary>
internal static class TrainingModule
{
    /// <summary>
    /// Reads the drills against what the server loaded; throws <see cref="ConfigException"/> listing every error. A drill
    /// for a room that is not loaded is left out, with a warning in <paramref name="warnings"/>.
    /// </summary>
    public static DrillCatalog Load(string profilesDirectory, Inventory inventory, string rulesDirectory, List<ConfigError> warnings)
    {
        var drillsDirectory = Path.Combine(profilesDirectory, DrillLoader.Folder);
        if (!Directory.Exists(drillsDirectory))
        {
            return new DrillCatalog([]);
        }

        // the rules as written (also when the alarm engine is off), so that a drill naming a rule is checked either way
        var rules = Directory.Exists(rulesDirectory) ? AlarmRuleLoader.LoadDirectory(rulesDirectory, inventory).Rules : AlarmRuleSet.Empty;
        var teams = ServiceConfigLoader.Load(profilesDirectory).Teams.Select(t => t.Id).ToList();
        var result = DrillLoader.LoadDirectory(drillsDirectory, new DrillReferences(inventory, rules, teams));
        warnings.AddRange(result.Warnings);
        return result.Ok ? new DrillCatalog(result.Drills) : throw new ConfigException(result.Errors);
    }

    public static void Add(IServiceCollection services, DrillCatalog catalog)
    {
        services.AddSingleton(catalog);

        // the drill runner: this host's drill clock (registered before NoDrillClock, so it wins); it runs only in a session host
        services.AddSingleton(sp => new Drills.DrillRunnerStore(
            Path.Combine(sp.GetRequiredService<Monitoring.Storage.StorageOptions>().DataDirectory, Drills.DrillRunnerStore.FileName),
            sp.GetRequiredService<ILogger<Drills.DrillRunnerStore>>()));
        services.AddSingleton(sp => new Drills.DrillRunner(
            sp.GetRequiredService<TrainingContext>(),
            sp.GetRequiredService<DrillCatalog>(),
            sp.GetRequiredService<Monitoring.Core.Simulation.IFaultInjector>(),
            sp.GetRequiredService<Monitoring.Core.Simulation.IScenarioSource>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<TrainingContext>().IsSession ? sp.GetRequiredService<Drills.DrillRunnerStore>() : null,
            sp.GetRequiredService<ILogger<Drills.DrillRunner>>()));
        // TryAdd: a host given its own drill clock before the modules (a test's hand-moved clock) keeps it
        services.TryAddSingleton<IDrillClock>(sp => sp.GetRequiredService<Drills.DrillRunner>());
        services.AddHostedService<Drills.DrillRunnerService>();
    }

    /// <summary>
    /// Quizzes and scores: the store and the scores in every host (the live host answers their endpoints 409), and in a
    /// session host the trainee activity log (fed by the alarm engine, the mute, the tickets) and the quizzes.
    /// </summary>
    public static void AddScoring(IServiceCollection services, bool session)
    {
        services.AddSingleton<TrainingStore>();
        services.AddSingleton<TrainingScores>();
        if (!session)
        {
            return;
        }

        services.AddSingleton<TraineeActivityLog>();
        services.AddHostedService(sp => sp.GetRequiredService<TraineeActivityLog>());
        services.AddSingleton<IAlarmEventSink>(sp => sp.GetRequiredService<TraineeActivityLog>());
        services.AddSingleton<ITicketNotifier>(sp => sp.GetRequiredService<TraineeActivityLog>());
        services.AddSingleton<IMuteObserver>(sp => sp.GetRequiredService<TraineeActivityLog>());
        services.AddSingleton<QuizService>();
        services.AddHostedService(sp => sp.GetRequiredService<QuizService>());
    }

    public static void Map(RouteGroupBuilder secured)
    {
        var group = secured.MapGroup("/api/training").WithTags("Training");
        TrainingEndpoints.Map(group);
        ScoringEndpoints.Map(group);
        Drills.DrillRunnerEndpoints.Map(group);
        Sessions.TrainingSessionEndpoints.Map(secured.MapGroup("/api/training/sessions").WithTags("Training"));
    }

    /// <summary>Where the rules are read from: the alarm options' folder, else rules/ of the profiles.</summary>
    public static string RulesDirectory(IConfiguration configuration, string profilesDirectory)
    {
        var configured = configuration.GetSection(AlarmOptions.Section).Get<AlarmOptions>()?.RulesDirectory;
        return string.IsNullOrWhiteSpace(configured) ? Path.Combine(profilesDirectory, "rules") : Path.GetFullPath(configured);
    }
}
