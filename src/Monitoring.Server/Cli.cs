using Monitoring.Core.Inventory;

namespace Monitoring.Server;

/// <summary>The server executable's verbs: run the server (default) or check configuration files.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] is "validate")
        {
            return Validate(args.AsSpan(1));
        }

        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("""
                monitoring [run] [--urls URL] [--data DIR] [--profiles DIR] [--simulator true|false]
                    Runs the server (the demo room and its simulator by default) and prints the console's address.
                monitoring validate PATH
                    Checks room and model files (a file or a device-profiles folder) without starting; exit code 1 on errors.
                """);
            return 0;
        }

        var serverArgs = args.Length > 0 && args[0] is "run" ? args[1..] : args;
        WebApplication app;
        try
        {
            app = ServerHost.Build(serverArgs);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync("The configuration is invalid; the server did not start:").ConfigureAwait(false);
            foreach (var error in ex.Errors)
            {
                await Console.Error.WriteLineAsync($"  {error}").ConfigureAwait(false);
            }

            return 2;
        }

        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }

    private static int Validate(ReadOnlySpan<string> paths)
    {
        if (paths.IsEmpty)
        {
            Console.Error.WriteLine("usage: monitoring validate PATH [PATH...]");
            return 2;
        }

        var failed = false;
        foreach (var path in paths)
        {
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                Console.Error.WriteLine($"{path}: no such file or directory");
                failed = true;
                continue;
            }

            var errors = InventoryLoader.Validate(path);
            foreach (var error in errors)
            {
                Console.Error.WriteLine(error.ToString());
            }

            Console.WriteLine(errors.Count == 0 ? $"{path}: ok" : $"{path}: {errors.Count} error(s)");
            failed |= errors.Count > 0;
        }

        return failed ? 1 : 0;
    }
}
