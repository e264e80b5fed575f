using Monitoring.Core.Inventory.Loading;

namespace Monitoring.Core.Inventory;

/// <summary>
/// Loads device-profiles/: every <c>models/*.yaml</c> and <c>rooms/*.yaml</c>, checked as a whole. Every problem is
/// reported with the file, line and column of the node at fault, all of them at once.
/// </summary>
public static class InventoryLoader
{
    public const string ModelsFolder = "models";
    public const string RoomsFolder = "rooms";

    /// <summary>Loads and validates the inventory under <paramref name="profilesRoot"/>.</summary>
    /// <exception cref="ConfigException">Anything is wrong; <see cref="ConfigException.Errors"/> lists every problem found.</exception>
    public static Inventory Load(string profilesRoot)
    {
        ArgumentNullException.ThrowIfNull(profilesRoot);
        var assembler = new InventoryAssembler();
        var inventory = AddRoot(assembler, profilesRoot) ? assembler.Build() : null;
        if (inventory is null || assembler.Errors.Count > 0)
        {
            throw new ConfigException(Sorted(assembler.Errors));
        }

        return inventory;
    }

    /// <summary>
    /// Only the device models of <c>profilesRoot/models/</c>, checked like <see cref="Load"/> checks them (a remote
    /// collector node builds its zone's devices on them from the configuration the server hands it).
    /// </summary>
    /// <exception cref="ConfigException">Anything is wrong in a model file.</exception>
    public static IReadOnlyDictionary<string, DeviceModel> LoadModels(string profilesRoot)
    {
        ArgumentNullException.ThrowIfNull(profilesRoot);
        var assembler = new InventoryAssembler();
        foreach (var file in YamlFiles(Path.Combine(profilesRoot, ModelsFolder)))
        {
            assembler.AddModelFile(file);
        }

        if (assembler.Errors.Count > 0)
        {
            throw new ConfigException(Sorted(assembler.Errors));
        }

        return assembler.Models;
    }

    /// <summary>
    /// Validates the profiles root, a single model file, or a single room file (checked against the models in the
    /// <c>models</c> folder next to its own folder). Returns every error found; empty when valid.
    /// </summary>
    public static IReadOnlyList<ConfigError> Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var assembler = new InventoryAssembler();
        if (Directory.Exists(path))
        {
            if (AddRoot(assembler, path))
            {
                assembler.Build();
            }
        }
        else if (File.Exists(path))
        {
            var folder = Path.GetDirectoryName(path) ?? string.Empty;
            if (string.Equals(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), ModelsFolder, StringComparison.Ordinal))
            {
                assembler.AddModelFile(path);
            }
            else
            {
                foreach (var file in YamlFiles(SiblingModels(path)))
                {
                    assembler.AddModelFile(file);
                }

                assembler.AddRoomFile(path);
                assembler.Build();
            }
        }
        else
        {
            assembler.Error(new SourceLocation(path, 1, 1), "no such file or directory");
        }

        return Sorted(assembler.Errors);
    }

    /// <summary>
    /// One room file with the models of the <c>models</c> folder next to its own folder, as <see cref="Validate"/>
    /// checks it; null when it is invalid (<see cref="Validate"/> says why).
    /// </summary>
    public static Inventory? TryLoadRoomFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var assembler = new InventoryAssembler();
        foreach (var file in YamlFiles(SiblingModels(path)))
        {
            assembler.AddModelFile(file);
        }

        assembler.AddRoomFile(path);
        var inventory = assembler.Build();
        return assembler.Errors.Count == 0 ? inventory : null;
    }

    private static string SiblingModels(string path)
    {
        var folder = Path.GetDirectoryName(path) ?? string.Empty;
        var parent = folder.Length == 0 ? ".." : Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(folder));
        return string.IsNullOrEmpty(parent) ? ModelsFolder : Path.Combine(parent, ModelsFolder);
    }

    private static bool AddRoot(InventoryAssembler assembler, string root)
    {
        if (!Directory.Exists(root))
        {
            assembler.Error(new SourceLocation(root, 1, 1), "the profiles folder does not exist");
            return false;
        }

        foreach (var file in YamlFiles(Path.Combine(root, ModelsFolder)))
        {
            assembler.AddModelFile(file);
        }

        foreach (var file in YamlFiles(Path.Combine(root, RoomsFolder)))
        {
            assembler.AddRoomFile(file);
        }

        return true;
    }

    /// <summary>The *.yaml and *.yml files of a folder in file-name order; none when the folder is missing.</summary>
    private static IEnumerable<string> YamlFiles(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
            : [];

    private static ConfigError[] Sorted(IReadOnlyList<ConfigError> errors) =>
        [.. errors
            .OrderBy(e => e.Location.File, StringComparer.Ordinal)
            .ThenBy(e => e.Location.Line)
            .ThenBy(e => e.Location.Column)];
}
