namespace Monitoring.Server.Hosting;

/// <summary>Finds the shipped folders: next to the executable when published, in the repository when run from source.</summary>
internal static class PathResolver
{
    public static string ProfilesDirectory(MonitoringOptions options) =>
        Resolve(options.ProfilesDirectory, "device-profiles", Path.Combine("device-profiles"));

    public static string WebRoot(MonitoringOptions options) =>
        Resolve(options.WebRoot, Path.Combine("web", "wwwroot"), "wwwroot");

    private static string Resolve(string? configured, string repositoryRelative, string besideExecutable)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        // Walk up from the executable: bin/Debug/net10.0 inside src/Monitoring.Server inside the repository.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, repositoryRelative);
            if (Directory.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "Monitoring.sln")))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, besideExecutable);
    }
}
