using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Monitoring.Collectors;
using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Inventory;
using Monitoring.Core.LineProtocol;
using Monitoring.Core.Live;
using Monitoring.Core.Pipeline;
using Monitoring.Core.Series;
using Monitoring.Server.Alarms;
using Monitoring.Server.Api;
using Monitoring.Server.Hosting;
using Monitoring.Server.Ingest;
using Monitoring.Server.Live;
using Monitoring.Server.Security;
using Monitoring.Server.Tickets;
using Monitoring.Simulator.Modbus;
using Monitoring.Simulator.Snmp;
using Monitoring.Storage;
using Monitoring.Storage.History;

namespace Monitoring.Server;

/// <summary>The composition root: the one place that wires collectors, pipeline, storage and the web together.</summary>
public static partial class ServerHost
{
    public const string DefaultUrl = "http://127.0.0.1:5080";
    public const string DefaultHttpsUrl = "https://127.0.0.1:5443";

    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--data"] = "Monitoring:Storage:DataDirectory",
        ["--profiles"] = "Monitoring:ProfilesDirectory",
        ["--simulator"] = "Monitoring:Simulator:Enabled",
        ["--web-root"] = "Monitoring:WebRoot",
    };

    /// <summary>
    /// Builds the server from command-line arguments (--urls, --data DIR, --profiles DIR, --simulator true|false).
    /// Loads and validates the inventory first: throws <see cref="ConfigException"/> naming every error if it is invalid.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            // with a certificate configured the console is served over HTTPS only
            builder.WebHost.UseUrls(string.IsNullOrWhiteSpace(builder.Configuration[HttpsOptions.Section + ":CertificatePath"]) ? DefaultUrl : DefaultHttpsUrl);
        }

        var options = builder.Configuration.GetSection(MonitoringOptions.Section).Get<MonitoringOptions>() ?? new MonitoringOptions();
        var storageOptions = builder.Configuration.GetSection("Monitoring:Storage").Get<StorageOptions>() ?? new StorageOptions();
        var profiles = PathResolver.ProfilesDirectory(options);
        var inventory = InventoryLoader.Load(profiles);
        var modbusProfiles = ModbusProfileLoader.LoadFolder(profiles);
        var snmpProfiles = new SnmpProfileSet(SnmpProfileLoader.LoadFolder(profiles));
        var probeProfiles = new Monitoring.Collectors.Mqtt.Probes.ProbeProfileSet(Monitoring.Collectors.Mqtt.Probes.ProbeProfileLoader.LoadFolder(profiles));
        var alarmOptions = builder.Configuration.GetSection(AlarmOptions.Section).Get<AlarmOptions>() ?? new AlarmOptions();
        var rulesDirectory = string.IsNullOrWhiteSpace(alarmOptions.RulesDirectory) ? Path.Combine(profiles, "rules") : Path.GetFullPath(alarmOptions.RulesDirectory);
        var configurationWarnings = new List<ConfigError>();
        var alarmRules = alarmOptions.Enabled ? AlarmComposition.LoadRules(rulesDirectory, inventory, configurationWarnings) : Monitoring.Core.Alarms.AlarmRuleSet.Empty;

        configure?.Invoke(builder);
        // references between files (a device's profile exists, its credentials are configured): logged at start, not fatal
        var references = ConfigurationValidator.CheckReferences(inventory, new LoadedProfiles(snmpProfiles.Profiles, modbusProfiles, probeProfiles.Profiles, new HashSet<string>()), builder.Configuration);
        configurationWarnings.AddRange(references.Errors);
        configurationWarnings.AddRange(references.Warnings);
        var services = builder.Services;
        services.Configure<MonitoringOptions>(builder.Configuration.GetSection(MonitoringOptions.Section));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(inventory);
        services.AddSingleton(storageOptions);
        services.AddSingleton<Database>();
        // storage full: one server-wide mapping to 507 (and 503 for alarm state not stored yet), shown in /healthz
        services.AddSingleton(sp => sp.GetRequiredService<Database>().Health);
        services.AddExceptionHandler<StorageExceptionHandler>();
        services.AddSingleton<Migrator>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton(sp => new HistoryStore(
            sp.GetRequiredService<Database>(), sp.GetRequiredService<SeriesRegistry>(), sp.GetRequiredService<Inventory>(), options.History,
            sp.GetRequiredService<TimeProvider>()));
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
        services.AddSingleton(sp => new LineProtocolIngestor(sp.GetRequiredService<Inventory>(), sp.GetRequiredService<SeriesRegistry>()) { Limits = options.Ingest.ToLimits() });
        services.AddSingleton<IngestCounters>();
        services.AddSingleton(sp => new Monitoring.Storage.Journal.IngestJournal(
            Path.Combine(sp.GetRequiredService<StorageOptions>().DataDirectory, "journal"),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<Monitoring.Storage.Journal.IngestJournal>()));
        services.AddSingleton<IngestService>();
        services.AddSingleton<ComponentHealth>();
        services.AddSingleton<PollHealth>();
        services.AddSingleton(new ModbusProfileSet(modbusProfiles));
        if (options.Simulator.Enabled)
        {
            // the demo's Modbus devices answer from loopback servers; the collector polls them there over real TCP
            services.AddSingleton(sp => new ModbusDemoRoom(inventory, modbusProfiles, options.Simulator.Seed, sp.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton(snmpProfiles);
        services.AddSingleton(sp => new SnmpCredentialStore(sp.GetRequiredService<IConfiguration>()));
        services.AddSingleton<Monitoring.Collectors.Snmp.Collector.SnmpPortMaps>();
        services.AddSingleton(new NotificationLog(1000));
        if (options.Simulator.Enabled)
        {
            // the demo's switches and servers answer from loopback SNMP agents; the collector polls them there over real UDP
            services.AddSingleton(sp => SnmpCollectorService.CreateDemoRoom(
                inventory, snmpProfiles, sp.GetRequiredService<SnmpCredentialStore>(), options.Simulator.Seed, sp.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton(probeProfiles);
        if (options.Simulator.Enabled)
        {
            // the demo's probes are MQTT clients that publish to the embedded broker over TCP
            services.AddSingleton(sp => new Monitoring.Simulator.Mqtt.MqttDemoProbes(
                inventory, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>(), TimeSpan.FromSeconds(Math.Max(1, options.Simulator.IntervalSeconds))));
        }

        services.AddSingleton(new ConfigurationWarnings(configurationWarnings));
        services.AddHostedService<ConfigurationWarningsLogger>();
        // Hosted services start in this order: the database is ready before samples flow.
        services.AddHostedService<StartupService>();
        // users, tokens and the first administrator, once the migrations have run
        SecurityModule.AddSecurity(builder, storageOptions.DataDirectory);
        // bounds on every JSON body, and problem+json for one that does not bind (issue 15)
        JsonBodies.Add(builder);
        services.AddHostedService<HistoryService>();
        // the ingest journal: replays what the history had not committed, then journals every write before its 2xx
        services.AddHostedService<JournalService>();
        // the InfluxDB writer joins the pipeline's observers before the pipeline runs
        services.AddSingleton<InfluxWriterService>();
        services.AddHostedService(sp => sp.GetRequiredService<InfluxWriterService>());
        // the alarm engine joins the pipeline's observers before the pipeline runs, after the migrations
        services.AddHostedService<AlarmHostService>();
        services.AddHostedService<PipelineService>();
        services.AddHostedService<LiveBroadcaster>();
        services.AddHostedService<SimulatorService>();
        services.AddHostedService<ModbusCollectorService>();
        services.AddHostedService<SnmpCollectorService>();
        services.AddHostedService<SnmpTrapService>();
        services.AddSingleton<MqttService>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttService>());
        // tickets: service configuration from device-profiles/service/, the SLA clock, ticket events to consoles
        TicketsModule.AddTickets(services, profiles);
        AddAlarms(services, builder.Configuration.GetSection(AlarmOptions.Section), alarmRules, rulesDirectory);
        Metrics.MetricsModule.Add(services);

        services.ConfigureHttpJsonOptions(json => Configure(json.SerializerOptions));
        LiveModule.AddLive(services.AddSignalR().AddJsonProtocol(json => Configure(json.PayloadSerializerOptions)));
        services.AddOpenApi();
        services.AddProblemDetails();

        var app = builder.Build();
        LogLoaded(app.Logger, inventory.Rooms.Count, inventory.Devices.Count, inventory.Models.Count, profiles);

        app.UseExceptionHandler();
        var webRoot = PathResolver.WebRoot(options);
        SecurityModule.UseSecurityHeaders(app, webRoot);
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(webRoot);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        }
        else
        {
            app.Logger.LogWarning("Web console folder {WebRoot} not found: the API runs, the console is not served", webRoot);
        }

        SecurityModule.UseSecurityChecks(app);
        JsonBodies.Use(app);
        app.UseStorageGate();
        app.MapGet("/healthz", HealthEndpoints.Get).WithName("Health").WithTags("Health").AllowAnonymous();

        // Everything else needs a signed-in user (or an API token); each endpoint adds the permission it needs,
        // and every change made through it is written to the audit log.
        var secured = app.MapGroup(string.Empty).RequireAuthorization(Permissions.PolicyName(Capability.Session)).AddEndpointFilter<AuditFilter>();
        secured.MapOpenApi();
        SecurityEndpoints.Map(app, secured);
        InventoryEndpoints.Map(secured.MapGroup("/api").WithTags("Inventory"));
        EventEndpoints.Map(secured.MapGroup("/api").WithTags("Events"));
        HistoryEndpoints.Map(secured.MapGroup("/api").WithTags("History"));
        SimulatorEndpoints.Map(secured.MapGroup("/api/simulator").WithTags("Simulator"));
        IngestEndpoints.Map(secured);
        TicketsModule.Map(secured);
        AlarmEndpoints.Map(secured.MapGroup("/api").WithTags("Alarms"));
        secured.MapHub<LiveHub>("/hubs/live").Requires(Capability.ReadRoom);
        Metrics.MetricsModule.Map(app.Services, secured);

        app.Lifetime.ApplicationStarted.Register(() => AnnounceAddresses(app));
        return app;
    }

    /// <summary>The alarm engine on the pipeline, its tick, and what listens to it: hub, lamp, webhooks.</summary>
    private static void AddAlarms(IServiceCollection services, IConfigurationSection section, Monitoring.Core.Alarms.AlarmRuleSet rules, string rulesDirectory)
    {
        services.Configure<AlarmOptions>(section);
        services.TryAddSingleton<Relays.RelayHealth>(); // the bounded relays of the hub, webhooks and tickets, for /healthz
        services.AddSingleton(sp => AlarmComposition.Create(sp, rules, rulesDirectory));
        services.AddSingleton(sp => sp.GetRequiredService<AlarmRuntime>().Service);
        services.AddSingleton<AlarmHubRelay>();
        services.AddSingleton<AlarmLampDriver>();
        services.AddSingleton<WebhookNotifier>();
        services.AddSingleton<Monitoring.Core.Alarms.IAlarmEventSink>(sp => sp.GetRequiredService<AlarmHubRelay>());
        services.AddSingleton<Monitoring.Core.Alarms.IAlarmEventSink>(sp => sp.GetRequiredService<AlarmLampDriver>());
        services.AddSingleton<Monitoring.Core.Alarms.IAlarmEventSink>(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddSingleton<Monitoring.Server.Tickets.ITicketNotifier>(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmHubRelay>());
        services.AddHostedService(sp => sp.GetRequiredService<AlarmLampDriver>());
        services.AddHostedService(sp => sp.GetRequiredService<WebhookNotifier>());
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Rooms} room(s), {Devices} device(s) and {Models} model(s) from {Profiles}")]
    private static partial void LogLoaded(ILogger logger, int rooms, int devices, int models, string profiles);

    [LoggerMessage(Level = LogLevel.Information, Message = "Monitoring console: {Address}/")]
    private static partial void LogListening(ILogger logger, string address);
}
