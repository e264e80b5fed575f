namespace Monitoring.Core.Inventory;

/// <summary>
/// The folder, file and validate entry points every kind of profile (SNMP, Modbus, ...) offers, around one reader
/// that turns a file into a profile while adding its errors to a list. Errors from every file are reported together.
/// </summary>
internal static class ProfileFiles
{
    public delegate T? Reader<out T>(string file, List<ConfigError> errors)
        where T : class;

    /// <summary>Every YAML file of <paramref name="profilesRoot"/>/<paramref name="folder"/> in name order, keyed by id.</summary>
    /// <exception cref="ConfigException">Any file is invalid; every error is listed.</exception>
    public static IReadOnlyDictionary<string, T> LoadFolder<T>(string profilesRoot, string folder, Reader<T> read, Func<T, string> id)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(profilesRoot);
        var errors = new List<ConfigError>();
        var profiles = new Dictionary<string, T>(StringComparer.Ordinal);
        var directory = Path.Combine(profilesRoot, folder);
        if (Directory.Exists(directory))
        {
            foreach (var file in Directory.EnumerateFiles(directory).Where(IsYaml).Order(StringComparer.Ordinal))
            {
                if (read(file, errors) is { } profile)
                {
                    profiles[id(profile)] = profile;
                }
            }
        }

        return errors.Count > 0 ? throw new ConfigException(errors) : profiles;
    }

    /// <summary>One profile file; throws <see cref="ConfigException"/> with every error if it is invalid.</summary>
    public static T LoadFile<T>(string path, Reader<T> read)
        where T : class
    {
        var errors = new List<ConfigError>();
        var profile = read(path, errors);
        return profile is null || errors.Count > 0 ? throw new ConfigException(errors) : profile;
    }

    /// <summary>Every error of one profile file, empty when it is valid.</summary>
    public static IReadOnlyList<ConfigError> Validate<T>(string path, Reader<T> read)
        where T : class
    {
        var errors = new List<ConfigError>();
        read(path, errors);
        return errors;
    }

    public static bool IsYaml(string file) =>
        file.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".yml", StringComparison.OrdinalIgnoreCase);
}
