using Monitoring.Collectors.Modbus.Profiles;
using Monitoring.Collectors.Mqtt.Probes;
using Monitoring.Collectors.Snmp.Hosting;
using Monitoring.Collectors.Snmp.Profiles;
using Monitoring.Core.Alarms;
using Monitoring.Core.Inventory;
using Monitoring.Core.Tickets;
using Monitoring.Core.Training;
using Monitoring.Server.Hosting;

namespace Monitoring.Server;

/// <summary>What a check found: errors (the configuration does not work as written) and warnings (it works, but
/// probably not as meant). Every entry names file:line:col.</summary>
internal sealed record ValidationReport(IReadOnlyList<ConfigError> Errors, IReadOnlyList<ConfigError> Warnings);

/// <summary>
/// <c>monitoring validate PATH...</c>: checks a device-profiles folder as the server loads it (rooms and models, the
/// SNMP, Modbus and MQTT profiles, the alarm rules, the service file, the training drills) and every reference between
/// them: a device's <c>profile:</c> names a profile that exists, rule scopes reach devices, credentials named by profiles
/// are configured, a drill's devices, ports, scenarios, rules and teams exist.
/// Single files are checked by the folder they sit in. Paths are relative to the caller's working directory.
/// </summary>
internal static class ConfigurationValidator
{
    public const string Usage = """
        usage: monitoring validate PATH [PATH...]
            PATH is a device-profiles folder (everything in it and every reference between files) or one file of it
            (rooms/, models/, snmp/, modbus/, mqtt/, rules/, service/, drills/). Errors and warnings name file:line:col.
            Exit 0 when valid (warnings allowed), 1 on errors, 2 on bad usage.
        """;

    /// <summary>Credential names the demo simulator provides when it runs (random secrets per run).</summary>
    private static readonly string[] DemoCredentials = ["demo-v2c", "demo-v3"];

    public static int Run(ReadOnlySpan<string> paths, TextWriter output, TextWriter error)
    {
        var failed = false;
        foreach (var path in paths)
        {
            var report = Validate(path);
            foreach (var e in report.Errors)
            {
                error.WriteLine(e.ToString());
            }

            foreach (var w in report.Warnings)
            {
                error.WriteLine($"{w.Location}: warning: {w.Message}");
            }

            var warnings = report.Warnings.Count > 0 ? $", {report.Warnings.Count} warning(s)" : string.Empty;
            output.WriteLine(report.Errors.Count == 0 ? $"{path}: ok{warnings}" : $"{path}: {report.Errors.Count} error(s){warnings}");
            failed |= report.Errors.Count > 0;
        }

        return failed ? 1 : 0;
    }

    /// <summary>A folder (the whole profiles root) or one file, checked by the folder it is in.</summary>
    public static ValidationReport Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            return ValidateRoot(path);
        }

        if (!File.Exists(path))
        {
            return new ValidationReport([new ConfigError(new SourceLocation(path, 1, 1), "no such file or directory")], []);
        }

        var folder = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? string.Empty;
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(path))) ?? ".";
        switch (folder)
        {
            case SnmpProfileLoader.Folder:
                return new ValidationReport(SnmpProfileLoader.Validate(path), []);
            case ModbusProfileLoader.Folder:
                return new ValidationReport(ModbusProfileLoader.Validate(path), []);
            case ProbeProfileLoader.Folder:
                return new ValidationReport(ProbeProfileLoader.Validate(path), []);
            case ServiceConfigLoader.Folder:
                return new ValidationReport(Errors(() => ServiceConfigLoader.LoadFiles([path])), []);
            case "rules":
                return ValidateRules(root, path);
            case DrillLoader.Folder:
                return ValidateDrill(root, path);
            case Core.Knowledge.ArticleLoader.Folder:
                return ValidateArticles(root, [path]);
            case InventoryLoader.ModelsFolder:
                return new ValidationReport(InventoryLoader.Validate(path), []);
            default:
                // a room file: checked against the models beside it, and its devices' profiles against the profiles there
                var errors = InventoryLoader.Validate(path);
                if (errors.Count > 0)
                {
                    return new ValidationReport(errors, []);
                }

                var room = InventoryLoader.TryLoadRoomFile(path);
                return room is null ? new ValidationReport([], []) : CheckReferences(room, LoadProfiles(root, []));
        }
    }

    /// <summary>
    /// The references between loaded parts: a device's profile exists (by its prefix: snmp/, modbus/, mqtt/), and the
    /// SNMP credentials that devices and profiles name are configured. Used by <c>validate</c> and, as warnings, at start.
    /// </summary>
    public static ValidationReport CheckReferences(Inventory inventory, LoadedProfiles profiles, IConfiguration? configuration = null)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(profiles);
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var credentials = configuration is null ? null : new SnmpCredentialStore(configuration);
        foreach (var device in inventory.Devices)
        {
            if (device.Profile is not { } id)
            {
                continue;
            }

            var at = device.ProfileSource == default ? device.Source : device.ProfileSource;
            var known = ProfileIds(profiles, id);
            if (known is null)
            {
                errors.Add(new ConfigError(at, $"device '{device.Id}' names profile '{id}': the prefix must be {SnmpProfileLoader.IdPrefix}, {ModbusProfileLoader.IdPrefix} or {ProbeProfileLoader.IdPrefix}"));
                continue;
            }

            if (!known.Contains(id))
            {
                var folder = id[..id.IndexOf('/', StringComparison.Ordinal)];
                var hint = known.Count > 0 ? $"; {folder}/ has: {string.Join(", ", known.Order(StringComparer.Ordinal))}" : $"; there are none in {folder}/";
                errors.Add(new ConfigError(at, $"device '{device.Id}' names profile '{id}', which does not exist (no file {id}.yaml){hint}"));
                continue;
            }

            if (credentials is not null && profiles.Snmp.TryGetValue(id, out var snmp))
            {
                var reference = device.Tags.GetValueOrDefault("snmpCredentials") ?? snmp.Credentials;
                if (reference is null)
                {
                    errors.Add(new ConfigError(at, $"device '{device.Id}' uses {id}, which names no credentials, and the device names none (tag snmpCredentials)"));
                }
                else if (credentials.Find(reference) is null && !DemoCredentials.Contains(reference, StringComparer.Ordinal))
                {
                    warnings.Add(new ConfigError(
                        device.Tags.ContainsKey("snmpCredentials") ? device.Source : snmp.Source,
                        $"device '{device.Id}': SNMP credentials '{reference}' are not configured here ({SnmpCredentialStore.Section}:{reference}:...); it will not be polled until they are"));
                }
            }
        }

        return new ValidationReport(errors, warnings);
    }

    /// <summary>The configuration the server would read for credentials: appsettings.json beside it and the environment.</summary>
    public static IConfiguration ServerConfiguration() =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .Build();

    private static ValidationReport ValidateRoot(string root)
    {
        var errors = new List<ConfigError>(InventoryLoader.Validate(root));
        var warnings = new List<ConfigError>();
        var profiles = LoadProfiles(root, errors);
        var service = ServiceConfig.Empty;
        errors.AddRange(Errors(() => service = ServiceConfigLoader.Load(root)));
        if (errors.Count > 0 && errors.Any(e => IsUnder(e.Location.File, root, InventoryLoader.RoomsFolder) || IsUnder(e.Location.File, root, InventoryLoader.ModelsFolder)))
        {
            // without a valid inventory neither references nor rules can be checked
            return new ValidationReport(Sorted(errors), warnings);
        }

        var inventory = InventoryLoader.Load(root);
        var references = CheckReferences(inventory, profiles, ServerConfiguration());
        errors.AddRange(references.Errors);
        warnings.AddRange(references.Warnings);
        var rules = AlarmRuleLoader.LoadDirectory(Path.Combine(root, "rules"), inventory);
        errors.AddRange(rules.Errors);
        warnings.AddRange(rules.Warnings);
        var drills = DrillLoader.LoadDirectory(Path.Combine(root, DrillLoader.Folder), DrillReferencesOf(inventory, rules.Rules, service));
        errors.AddRange(drills.Errors);
        warnings.AddRange(drills.Warnings);
        var kb = Path.Combine(root, Core.Knowledge.ArticleLoader.Folder);
        errors.AddRange(Core.Knowledge.ArticleLoader.LoadDirectory(kb, ArticleReferencesOf(inventory, rules.Rules)).Errors);
        return new ValidationReport(Sorted(errors), Sorted(warnings));
    }

    /// <summary>Knowledge-base articles (device-profiles/kb), against the rules and models of the profiles root they sit in.</summary>
    private static ValidationReport ValidateArticles(string root, IReadOnlyList<string> files)
    {
        Inventory inventory;
        try
        {
            inventory = InventoryLoader.Load(root);
        }
        catch (ConfigException ex)
        {
            return new ValidationReport(ex.Errors, []);
        }

        var rules = AlarmRuleLoader.LoadDirectory(Path.Combine(root, "rules"), inventory).Rules;
        return new ValidationReport(Core.Knowledge.ArticleLoader.LoadFiles(files, ArticleReferencesOf(inventory, rules)).Errors, []);
    }

    private static Core.Knowledge.ArticleReferences ArticleReferencesOf(Inventory inventory, AlarmRuleSet rules) =>
        new(rules.DeclaredIds(), inventory.Models.Select(m => m.Id).ToHashSet(StringComparer.Ordinal));

    /// <summary>One drill file, against the rooms, rules and teams of the profiles root it sits in.</summary>
    private static ValidationReport ValidateDrill(string root, string file)
    {
        Inventory inventory;
        try
        {
            inventory = InventoryLoader.Load(root);
        }
        catch (ConfigException ex)
        {
            return new ValidationReport([new ConfigError(new SourceLocation(file, 1, 1), $"the rooms and models in {root} are invalid, so the drill cannot be checked against them"), .. ex.Errors], []);
        }

        var service = ServiceConfig.Empty;
        var serviceErrors = Errors(() => service = ServiceConfigLoader.Load(root));
        var rules = AlarmRuleLoader.LoadDirectory(Path.Combine(root, "rules"), inventory).Rules;
        var result = DrillLoader.LoadFiles([file], DrillReferencesOf(inventory, rules, service));
        return new ValidationReport([.. serviceErrors, .. result.Errors], result.Warnings);
    }

    private static DrillReferences DrillReferencesOf(Inventory inventory, AlarmRuleSet rules, ServiceConfig service) =>
        new(inventory, rules, [.. service.Teams.Select(t => t.Id)]);

    private static ValidationReport ValidateRules(string root, string file)
    {
        Inventory inventory;
        try
        {
            inventory = InventoryLoader.Load(root);
        }
        catch (ConfigException ex)
        {
            return new ValidationReport([new ConfigError(new SourceLocation(file, 1, 1), $"the rooms and models in {root} are invalid, so the rules cannot be checked against them"), .. ex.Errors], []);
        }

        var result = AlarmRuleLoader.LoadFile(file, inventory);
        return new ValidationReport(result.Errors, result.Warnings);
    }

    private static LoadedProfiles LoadProfiles(string root, List<ConfigError> errors)
    {
        IReadOnlyDictionary<string, SnmpProfile> snmp = new Dictionary<string, SnmpProfile>();
        IReadOnlyDictionary<string, ModbusProfile> modbus = new Dictionary<string, ModbusProfile>();
        IReadOnlyDictionary<string, ProbeProfile> mqtt = new Dictionary<string, ProbeProfile>();
        errors.AddRange(Errors(() => snmp = SnmpProfileLoader.LoadFolder(root)));
        errors.AddRange(Errors(() => modbus = ModbusProfileLoader.LoadFolder(root)));
        errors.AddRange(Errors(() => mqtt = ProbeProfileLoader.LoadFolder(root)));

        // a profile file with errors still exists: count it as present so the device naming it is not reported twice
        var present = FileIds(root);
        return new LoadedProfiles(snmp, modbus, mqtt, present);
    }

    private static HashSet<string> FileIds(string root)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var folder in new[] { SnmpProfileLoader.Folder, ModbusProfileLoader.Folder, ProbeProfileLoader.Folder })
        {
            var dir = Path.Combine(root, folder);
            if (Directory.Exists(dir))
            {
                foreach (var file in Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)))
                {
                    ids.Add(folder + "/" + Path.GetFileNameWithoutExtension(file));
                }
            }
        }

        return ids;
    }

    private static HashSet<string>? ProfileIds(LoadedProfiles profiles, string id) =>
        id.StartsWith(SnmpProfileLoader.IdPrefix, StringComparison.Ordinal) ? Ids(profiles.Snmp.Keys, profiles.Files, SnmpProfileLoader.IdPrefix)
        : id.StartsWith(ModbusProfileLoader.IdPrefix, StringComparison.Ordinal) ? Ids(profiles.Modbus.Keys, profiles.Files, ModbusProfileLoader.IdPrefix)
        : id.StartsWith(ProbeProfileLoader.IdPrefix, StringComparison.Ordinal) ? Ids(profiles.Mqtt.Keys, profiles.Files, ProbeProfileLoader.IdPrefix)
        : null;

    private static HashSet<string> Ids(IEnumerable<string> loaded, IEnumerable<string> files, string prefix) =>
        [.. loaded, .. files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal))];

    private static IReadOnlyList<ConfigError> Errors(Action load)
    {
        try
        {
            load();
            return [];
        }
        catch (ConfigException ex)
        {
            return ex.Errors;
        }
    }

    private static bool IsUnder(string file, string root, string folder) =>
        Path.GetFullPath(file).StartsWith(Path.GetFullPath(Path.Combine(root, folder)) + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static ConfigError[] Sorted(List<ConfigError> errors) =>
        [.. errors.Distinct()
            .OrderBy(e => e.Location.File, StringComparer.Ordinal)
            .ThenBy(e => e.Location.Line)
            .ThenBy(e => e.Location.Column)];
}

/// <summary>The protocol profiles of a profiles root, by id, and the ids of every profile file present (valid or not).</summary>
internal sealed record LoadedProfiles(
    IReadOnlyDictionary<string, SnmpProfile> Snmp,
    IReadOnlyDictionary<string, ModbusProfile> Modbus,
    IReadOnlyDictionary<string, ProbeProfile> Mqtt,
    IReadOnlySet<string> Files);
