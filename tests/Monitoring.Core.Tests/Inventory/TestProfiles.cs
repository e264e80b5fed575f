using System.Runtime.CompilerServices;
using Monitoring.Core.Inventory;

namespace Monitoring.Core.Tests.InventoryLoading;

/// <summary>A throw-away device-profiles folder in the temp directory, with a few small models to build rooms on.</summary>
internal sealed class TestProfiles : IDisposable
{
    public const string Models = """
        - id: sw48
          name: Test 48-port switch
          kind: switch
          heightU: 1
          depth: half
          portGroups:
            - { kind: copper, count: 48, rows: 2, firstIndex: 1, name: "GE0/0/{n}" }
        - id: srv1u
          name: Test 1U server
          kind: server
          heightU: 1
          portGroups:
            - { kind: nic, count: 2, firstIndex: 1, name: "eth{n}" }
        - id: srv2u
          name: Test 2U server
          kind: server
          heightU: 2
        - id: th
          name: Test sensor
          kind: sensor
        - id: ups
          name: Test UPS
          kind: ups
          size: { width: 0.6, depth: 0.8, height: 1.6 }
        """;

    public TestProfiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "inventory-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(Root, "models"));
        Directory.CreateDirectory(Path.Combine(Root, "rooms"));
    }

    public string Root { get; }

    /// <summary>The repository's device-profiles folder, found above the test binaries (or, failing that, above this source file).</summary>
    public static string RepoProfiles => FindRepoProfiles();

    private static string FindRepoProfiles([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? string.Empty })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
                {
                    return Path.Combine(dir.FullName, "device-profiles");
                }
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Monitoring.sln) above " + AppContext.BaseDirectory);
    }

    public string Model(string name, string yaml) => Write("models", name, yaml);

    public string Room(string name, string yaml) => Write("rooms", name, yaml);

    /// <summary>The standard test models plus one room.</summary>
    public string WithRoom(string yaml)
    {
        Model("test.yaml", Models);
        return Room("room.yaml", yaml);
    }

    /// <summary>1-based line and column of the <paramref name="occurrence"/>-th occurrence of <paramref name="needle"/>.</summary>
    public static (int Line, int Column) Find(string text, string needle, int occurrence = 1)
    {
        var at = -1;
        for (var i = 0; i < occurrence; i++)
        {
            at = text.IndexOf(needle, at + 1, StringComparison.Ordinal);
            Assert.True(at >= 0, $"'{needle}' (occurrence {occurrence}) is not in the test YAML");
        }

        var line = 1 + text.AsSpan(0, at).Count('\n');
        var lineStart = at == 0 ? 0 : text.LastIndexOf('\n', at - 1) + 1;
        var column = at - lineStart + 1;
        return (line, column);
    }

    /// <summary>Asserts that exactly one error sits at <paramref name="needle"/> of <paramref name="file"/>'s text and returns its message.</summary>
    public static string ErrorAt(IReadOnlyList<ConfigError> errors, string file, string text, string needle, int occurrence = 1)
    {
        var (line, column) = Find(text, needle, occurrence);
        var matches = errors.Where(e => e.Location == new SourceLocation(file, line, column)).ToList();
        Assert.True(
            matches.Count == 1,
            $"expected one error at {file}:{line}:{column} ('{needle}'), got:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        return matches[0].Message;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Write(string folder, string name, string yaml)
    {
        var path = Path.Combine(Root, folder, name);
        File.WriteAllText(path, yaml);
        return path;
    }
}
