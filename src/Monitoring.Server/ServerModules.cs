using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Live;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Core.Simulation;
using Monitoring.Server.Alarms;
using Monitoring.Server.Api;
using Monitoring.Server.Hosting;
using Monitoring.Server.Ingest;
using Monitoring.Server.Live;
using Monitoring.Server.Security;
using Monitoring.Server.Tickets;
using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Server;

/// <summary>
/// The server's own features, one AddX/UseX/MapX each, as <see cref="ServerHost.Build"/> calls them. The protocols are
/// modules of their own projects (AddSnmp, AddModbus, AddMqtt), and the demo a plug-in (AddDemoSimulator).
/// </summary>
internal static partial class ServerModules
{
    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "Monitoring:Storage:DataDirectory",
        ["--profiles"] = "Monitoring:ProfilesDirectory",
        ["--simulator"] = "Monitoring:Simulator:Enabled",
        ["--web-root"] = "Monitoring:WebRoot",
    };

    /// <summary>The builder with the command line's switches (--data, --profiles, --simulator, --web-root) and the default address.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            // with a certificate configured the console is served over HTTPS only
            builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(builder.Configuration[HttpsOptions.Section + ":CertificatePath"]) ? ServerHost.DefaultUrl : ServerHost.DefaultHttpsUrl);
        }

        builder.Services.Configure<MonitoringOptions>(builder.Configuration.GetSection(MonitoringOptions.Section));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(new ConfigurationWarnings([]));
        builder.Services.AddHostedService<ConfigurationWarningsLogger>();
        return builder;
    }

    private static MonitoringOptions MonitoringSection(this IHostApplicationBuilder builder) =>
        builder.Configuration.GetSection(MonitoringOptions.Section).Get<MonitoringOptions>() ?? new MonitoringOptions();

    /// <summary>Loads and validates the rooms, models and devices first: throws <see cref="ConfigException"/> naming every error.</summary>
    public static WebApplicationBuilder AddInventory(this WebApplicationBuilder builder)
    {
        var directory = PathResolver.ProfilesDirectory(builder.MonitoringSection());
        var inventory = InventoryLoader.Load(directory);
        // a training session's host (issue 21): its one room, live inside it (Training.Sessions.SessionInventory)
        inventory = Training.Sessions.SessionInventory.For(inventory, builder.Configuration);
        builder.AddDeviceProfiles(directory, inventory);
        // the room's scripted faults: none, unless the demo plug-in (AddDemoSimulator) replaces this, before or after
        builder.Services.TryAddSingleton<IScenarioSource>(NoScenarios.Instance);
        builder.Services.TryAddSingleton<IFaultInjector>(NoFaults.Instance);
        return builder;
    }

    /// <summary>
    /// SQLite in the data directory, or PostgreSQL (Monitoring:Storage:Provider, :ConnectionString). <see cref="StartupService"/> is the start gate: it runs first, brings the database up
    /// to date (the <see cref="Migrator"/> runs the migrations once; any other caller awaits that run) and records the
    /// inventory. A full disk maps to 507 (503 for alarm state not stored yet), shown in /healthz.
    /// </summary>
    public static WebApplicationBuilder AddStorage(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton(builder.Configuration.GetSection("Monitoring:Storage").Get<StorageOptions>() ?? new StorageOptions());
        services.AddSingleton<Database>();
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Health);
        services.AddExceptionHandler<StorageExceptionHandler>();
        services.AddSingleton<Migrator>();
        services.AddSingleton<InventoryStore>();
        services.AddHostedService<StartupService>();
        services.AddHostedService<StorageProbeService>();
        return builder;
    }

    /// <summary>Users, tokens, sessions and the first administrator (after the storage's start), and bounds on every JSON body.</summary>
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        SecurityModule.AddSecurity(builder, builder.Configuration.GetSection("Monitoring:Storage").Get<StorageOptions>()?.DataDirectory ?? new StorageOptions().DataDirectory);
        JsonBodies.Add(builder);
        return builder;
    }

    /// <summary>
    /// The one road of every sample: series, live state, the bounded pipeline and what observes it (history, InfluxDB
    /// writer; the alarm engine joins in AddAlarms), the line-protocol ingest with its journal. The observers join the
    /// pipeline in their StartAsync; the pipeline's consumer runs once the host has started them all (<see cref="PipelineService"/>).
    /// </summary>
    public static WebApplicationBuilder AddSamplePipeline(this WebApplicationBuilder builder)
    {
        var options = builder.MonitoringSection();
        var services = builder.Services;
        services.AddSingleton<ComponentHealth>();
        services.AddSingleton<PollHealth>();
        services.TryAddSingleton(new NotificationLog(1000));
        services.AddSingleton(sp => new SeriesRegistry(sp.GetRequiredService<Inventory>())
        {
            MaxSeries = Math.Max(1, options.Ingest.MaxSeries),
            MaxSeriesPerMeasurement = Math.Max(1, options.Ingest.MaxSeriesPerMeasurement),
        });
        services.AddSingleton(sp => new LiveState(sp.GetRequiredService<Inventory>(), sp.GetRequiredService<SeriesRegistry>(), sp.GetRequiredService<TimeProvider>())
        {
            MaxFuture = TimeSpan.FromSeconds(Math.Max(0, options.Ingest.MaxFutureSeconds)),
        });
        services.AddSingleton(sp => new SamplePipeline(sp.GetRequiredService<LiveState>(), time: sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ISampleSink>(sp => sp.GetRequiredService<SamplePipeline>());
        services.AddSingleton(sp => new HistoryStore(
            sp.GetRequiredService<Database>(), sp.GetRequiredService<SeriesRegistry>(), sp.GetRequiredService<Inventory>(), options.History, sp.GetRequiredService<TimeProvider>()));
        if (options.History.ReadFrom != SeriesReadSource.Embedded)
        {
            RemoteSeriesReader.Validate(options.History.ReadFrom, options.History.Remote);
        }

        services.AddSingleton<ISeriesReader>(sp => options.History.ReadFrom == SeriesReadSource.Embedded
            ? new EmbeddedSeriesReader(sp.GetRequiredService<HistoryStore>())
            : new RemoteSeriesReader(options.History.ReadFrom, options.History.Remote, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<RemoteSeriesReader>>()));
        services.AddSingleton(sp =>
        {
            var ingestor = new LineProtocolIngestor(sp.GetRequiredService<Inventory>(), sp.GetRequiredService<SeriesRegistry>()) { Limits = options.Ingest.ToLimits() };
            ingestor.MapMeasurements(options.Ingest.MeasurementDevices); // a device the inventory lacks: those lines stay free-form
            return ingestor;
        });
        services.AddSingleton<IngestCounters>();
        services.AddSingleton(sp => new Monitoring.Storage.Journal.IngestJournal(
            Path.Combine(sp.GetRequiredService<StorageOptions>().DataDirectory, "journal"),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<Monitoring.Storage.Journal.IngestJournal>()));
        services.AddSingleton<IngestService>();
        services.AddSingleton<ILineProtocolWriter>(sp => sp.GetRequiredService<IngestService>());
        services.AddHostedService<HistoryService>();
        // replays what the history had not committed, then journals every write before its 2xx
        services.AddHostedService<JournalService>();
        services.AddSingleton<InfluxWriterService>();
        services.AddHostedService(sp => sp.GetRequiredService<InfluxWriterService>());
        services.AddHostedService<PipelineService>();
        return builder;
    }

    /// <summary>The alarm engine on the pipeline (samples and device events), its tick, and what listens to it: hub, lamp, webhooks.</summary>
    public static WebApplicationBuilder AddAlarms(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(AlarmOptions.Section);
        var alarmOptions = section.Get<AlarmOptions>() ?? new AlarmOptions();
        var profiles = builder.DeviceProfiles();
        var rulesDirectory = string.IsNullOrWhiteSpace(alarmOptions.RulesDirectory) ? Path.Combine(profiles.Directory, "rules") : Path.GetFullPath(alarmOptions.RulesDirectory);
        var warnings = new List<ConfigError>();
        var rules = alarmOptions.Enabled ? AlarmComposition.LoadRules(rulesDirectory, profiles.Inventory, warnings) : AlarmRuleSet.Empty;
        builder.AddConfigurationWarnings(warnings);
        var services = builder.Services;
        services.AddHostedService<AlarmHostService>();
        services.Configure<AlarmOptions>(section);
        services.TryAddSingleton<Relays.RelayHealth>(); // the bounded relays of the hub, webhooks and tickets, for /healthz
        services.AddSingleton(sp => AlarmComposition.Create(sp, rules, rulesDirectory));
        services.AddSingleton(sp => sp.GetRequiredService<AlarmRuntime>().Service);
        services.AddSingleton(sp => sp.GetRequiredService<AlarmRuntime>().Incidents);
        // traps and wills reach the engine's event rules through the pipeline, like samples
        services.AddSingleton<IDeviceEventObserver, AlarmEventRoute>();
        services.AddSingleton<AlarmHubRelay>();
        services.AddSingleton<AlarmLampDriver>();
        services.AddSingleton<WebhookNotifier>();
        services.AddSingleton<IAlarmEventSink>(sp => sp.GetRequiredService<AlarmHubRelay>());
        services.AddSingleton<IIncidentSink>(sp => sp.GetRequiredService<AlarmHubRelay>());
        services.AddSingleton<IAlarmEventSink>(sp => sp.GetRequiredService<AlarmLampDriver>());
        services.AddSingleton<IAlarmEventSink>(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddSingleton<ITicketNotifier>(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmHubRelay>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmLampDriver>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookNotifier>());
        return builder;
    }

    /// <summary>Incident tickets: service configuration from device-profiles/service/, the SLA clock, ticket events to consoles.</summary>
    public static WebApplicationBuilder AddTickets(this WebApplicationBuilder builder)
    {
        TicketsModule.AddTickets(builder.Services, builder.DeviceProfiles().Directory);
        return builder;
    }

    /// <summary>The knowledge base (issue 23): articles, versions, FTS5 search, seeds from device-profiles/kb.</summary>
    public static WebApplicationBuilder AddKnowledge(this WebApplicationBuilder builder)
    {
        var profiles = builder.DeviceProfiles();
        Knowledge.KnowledgeModule.Add(builder.Services, profiles.Directory, profiles.Inventory, Training.TrainingModule.RulesDirectory(builder.Configuration, profiles.Directory));
        return builder;
    }

    /// <summary>Training (issue 21 groundwork): the drills of device-profiles/drills, checked at start; an invalid one stops it.</summary>
    public static WebApplicationBuilder AddTraining(this WebApplicationBuilder builder)
    {
        var profiles = builder.DeviceProfiles();
        var rules = Training.TrainingModule.RulesDirectory(builder.Configuration, profiles.Directory);
        var warnings = new List<ConfigError>();
        Training.TrainingModule.Add(builder.Services, Training.TrainingModule.Load(profiles.Directory, profiles.Inventory, rules, warnings));
        var session = builder.Configuration.GetSection(Training.TrainingSessionOptions.Section).Get<Training.TrainingSessionOptions>();
        builder.Services.TryAddSingleton(session is null ? Training.TrainingContext.Live : new Training.TrainingContext(session));
        Training.TrainingModule.AddScoring(builder.Services, !string.IsNullOrEmpty(session?.Id));
        builder.Services.TryAddSingleton<Core.Training.IDrillClock>(Core.Training.NoDrillClock.Instance);
        Training.Replay.ReplayModule.Add(builder); // replay: the recorded past, the replay session's clock
        // the live host runs the sessions (issue 21, sessions); a session host runs none of its own
        Training.Sessions.TrainingSessionManager.Add(builder, session is { Id.Length: > 0 });
        builder.AddConfigurationWarnings(warnings);
        return builder;
    }

    public static WebApplicationBuilder AddMetricsEndpoint(this WebApplicationBuilder builder)
    {
        Metrics.MetricsModule.Add(builder.Services, !string.IsNullOrEmpty(builder.Configuration[$"{Training.TrainingSessionOptions.Section}:Id"]));
        return builder;
    }

    /// <summary>The console's transport: camelCase JSON, the live hub and its broadcaster, OpenAPI, problem details.</summary>
    public static WebApplicationBuilder AddWebConsole(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.ConfigureHttpJsonOptions(json => Configure(json.SerializerOptions));
        LiveModule.AddLive(services.AddSignalR().AddJsonProtocol(json => Configure(json.PayloadSerializerOptions)));
        services.AddHostedService<LiveBroadcaster>();
        services.AddOpenApi();
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// References between files (a device's profile exists, its credentials are configured): logged at start, not fatal.
    /// Reads the profile sets the protocol modules loaded (each loaded once).
    /// </summary>
    public static WebApplicationBuilder AddConfigurationReferences(this WebApplicationBuilder builder)
    {
        var profiles = builder.DeviceProfiles();
        var loaded = new LoadedProfiles(
            profiles.Get(SnmpProfileSet.Load).Profiles,
            profiles.Get(directory => new ModbusProfileSet(ModbusProfileLoader.LoadFolder(directory))).Profiles,
            profiles.Get(directory => new ProbeProfileSet(ProbeProfileLoader.LoadFolder(directory))).Profiles,
            new HashSet<string>());
        var references = ConfigurationValidator.CheckReferences(profiles.Inventory, loaded, builder.Configuration);
        builder.AddConfigurationWarnings([.. references.Errors, .. references.Warnings]);
        return builder;
    }

    private static void AddConfigurationWarnings(this WebApplicationBuilder builder, IEnumerable<ConfigError> warnings)
    {
        var registered = builder.Services.Single(d => d.ServiceType == typeof(ConfigurationWarnings));
        var all = ((ConfigurationWarnings)registered.ImplementationInstance!).Items.Concat(warnings).ToList();
        builder.Services.Remove(registered);
        builder.Services.AddSingleton(new ConfigurationWarnings(all));
    }

    /// <summary>Errors as problem+json, security headers, the console's files (when the folder exists), sign-in checks, JSON bounds, the storage gate.</summary>
    public static WebApplication UseWebConsole(this WebApplication app)
    {
        var inventory = app.Services.GetRequiredService<Inventory>();
        var profiles = app.Services.GetRequiredService<Collectors.Hosting.DeviceProfiles>();
        LogLoaded(app.Logger, inventory.Rooms.Count, inventory.Devices.Count, inventory.Models.Count, profiles.Directory);
        app.UseExceptionHandler();
        var webRoot = PathResolver.WebRoot(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<MonitoringOptions>>().Value);
        SecurityModule.UseSecurityHeaders(app, webRoot);
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(webRoot);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
        else
        {
            LogNoWebRoot(app.Logger, webRoot);
        }

        SecurityModule.UseSecurityChecks(app);
        JsonBodies.Use(app);
        app.UseStorageGate();
        app.Lifetime.ApplicationStarted.Register(() => AnnounceAddresses(app));
        return app;
    }

    /// <summary>/healthz for anyone; everything else behind a signed-in user or an API token, each endpoint with the permission it needs, every change audited.</summary>
    public static RouteGroupBuilder MapSecured(this WebApplication app)
    {
        app.MapGet("/healthz", HealthEndpoints.Get).WithName("Health").WithTags("Health").AllowAnonymous();
        var secured = app.MapGroup(string.Empty).RequireAuthorization(Permissions.PolicyName(Capability.Session)).AddEndpointFilter<AuditFilter>();
        secured.MapOpenApi();
        SecurityEndpoints.Map(app, secured);
        return secured;
    }

    public static RouteGroupBuilder MapMonitoring(this RouteGroupBuilder secured)
    {
        InventoryEndpoints.Map(secured.MapGroup("/api").WithTags("Inventory"));
        EventEndpoints.Map(secured.MapGroup("/api").WithTags("Events"));
        HistoryEndpoints.Map(secured.MapGroup("/api").WithTags("History"));
        SimulatorEndpoints.Map(secured.MapGroup("/api/simulator").WithTags("Simulator"));
        IngestEndpoints.Map(secured);
        secured.MapHub<LiveHub>("/hubs/live").Requires(Capability.ReadRoom);
        return secured;
    }

    public static RouteGroupBuilder MapTickets(this RouteGroupBuilder secured)
    {
        TicketsModule.Map(secured);
        return secured;
    }

    public static RouteGroupBuilder MapAlarms(this RouteGroupBuilder secured)
    {
        AlarmEndpoints.Map(secured.MapGroup("/api").WithTags("Alarms"));
        IncidentEndpoints.Map(secured.MapGroup("/api").WithTags("Incidents"));
        return secured;
    }

    public static RouteGroupBuilder MapKnowledge(this RouteGroupBuilder secured)
    {
        Knowledge.KnowledgeModule.Map(secured);
        return secured;
    }

    public static RouteGroupBuilder MapTraining(this RouteGroupBuilder secured)
    {
        Training.TrainingModule.Map(secured);
        Training.Replay.ReplayModule.Map(secured);
        return secured;
    }

    public static RouteGroupBuilder MapMetricsEndpoint(this RouteGroupBuilder secured, WebApplication app)
    {
        Metrics.MetricsModule.Map(app.Services, secured);
        return secured;
    }

    internal static void Configure(JsonSerializerOptions json)
    {
        json.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
    }

    private static void AnnounceAddresses(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            var trimmed = address.TrimEnd('/');
            LogListening(app.Logger, trimmed);
        }
    }

    /// <summary>Hands the pipeline's device events (traps, wills) to the alarm engine's entry point for them.</summary>
    private sealed class AlarmEventRoute(IAlarmService alarms, Cluster.IAlarmLeadership? leadership = null) : IDeviceEventObserver
    {
        public void OnDeviceEvent(DeviceEvent deviceEvent)
        {
            if (leadership is { IsLeader: false })
            {
                return; // cluster standby: the leader's engine evaluates
            }

            alarms.OnInputEvent(new AlarmInputEvent(deviceEvent.DeviceId, deviceEvent.Port, deviceEvent.Name, deviceEvent.At, deviceEvent.Text));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Rooms} room(s), {Devices} device(s) and {Models} model(s) from {Profiles}")]
    private static partial void LogLoaded(ILogger logger, int rooms, int devices, int models, string profiles);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Web console folder {WebRoot} not found: the API runs, the console is not served")]
    private static partial void LogNoWebRoot(ILogger logger, string webRoot);

    [LoggerMessage(Level = LogLevel.Information, Message = "Monitoring console: {Address}/")]
    private static partial void LogListening(ILogger logger, string address);
}
