using System.Diagnostics;
using Monitoring.Core.Inventory;

namespace Monitoring.Server.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly string _profiles = Directory.CreateTempSubdirectory("monitoring-profiles-").FullName;

    public ConfigurationTests()
    {
        var shipped = FindShippedProfiles();
        Directory.CreateDirectory(Path.Combine(_profiles, "models"));
        Directory.CreateDirectory(Path.Combine(_profiles, "rooms"));
        foreach (var file in Directory.GetFiles(Path.Combine(shipped, "models")))
        {
            File.Copy(file, Path.Combine(_profiles, "models", Path.GetFileName(file)));
        }
    }

    public void Dispose() => Directory.Delete(_profiles, recursive: true);

    [Fact]
    public void The_server_refuses_to_start_on_an_invalid_room_and_says_where()
    {
        var room = WriteBadRoom();

        var error = Assert.Throws<ConfigException>(() => ServerHost.Build(["--profiles", _profiles, "--data", _profiles, "--simulator", "false"]));

        var unknownModel = Assert.Single(error.Errors, e => e.Message.Contains("no-such-model", StringComparison.Ordinal));
        Assert.Equal(room, Path.GetFullPath(unknownModel.Location.File));
        Assert.Equal(9, unknownModel.Location.Line);
    }

    [Fact]
    public async Task The_validate_verb_prints_file_line_and_column_and_fails()
    {
        var room = WriteBadRoom();

        var (exit, output) = await RunServerExecutableAsync("validate", room);

        Assert.Equal(1, exit);
        Assert.Contains($"{Path.GetFileName(room)}:9:", output, StringComparison.Ordinal);
        Assert.Contains("no-such-model", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_validate_verb_passes_the_shipped_profiles()
    {
        var (exit, output) = await RunServerExecutableAsync("validate", FindShippedProfiles());

        Assert.True(exit == 0, output);
        Assert.Contains(": ok", output, StringComparison.Ordinal);
    }

    private string WriteBadRoom()
    {
        var path = Path.Combine(_profiles, "rooms", "bad.yaml");
        File.WriteAllText(path, """
            id: bad
            name: 坏机房
            size: { width: 10, depth: 8, height: 3 }
            rows:
              - id: A
                name: A 列
                racks:
                  - { id: A01, name: A01, x: 2, z: 2, devices: [
                      { id: x1, name: X1, model: no-such-model, u: 1 } ] }
            """);
        return Path.GetFullPath(path);
    }

    private static string FindShippedProfiles()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "device-profiles");
            if (File.Exists(Path.Combine(dir.FullName, "Monitoring.sln")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("repository root not found");
    }

    private static async Task<(int Exit, string Output)> RunServerExecutableAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "monitoring.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
