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

        if (args.Length > 0 && args[0] is "poll" && SnmpCommands.HandlesPoll(args.AsSpan(1)))
        {
            return await SnmpCommands.PollAsync(args.AsMemory(1), Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] is "snmp")
        {
            return await SnmpCommands.RunAsync(args.AsMemory(1), Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] is "poll")
        {
            return await ModbusCommands.PollAsync(args.AsMemory(1), Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
        }

        if (args.Length > 1 && args[0] is "modbus" && args[1] is "read")
        {
            return await ModbusCommands.ReadAsync(args.AsMemory(2), Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine("""
                monitoring [run] [--urls URL] [--data DIR] [--profiles DIR] [--simulator true|false]
                    Runs the server (the demo room and its simulator by default) and prints the console's address.
                monitoring validate PATH
                    Checks room and model files (a file or a device-profiles folder) without starting; exit code 1 on errors.
                monitoring poll DEVICE [--profiles DIR] [--endpoint HOST:PORT] [--timeout MS]
                    Polls one Modbus device of the room once with its profile and prints what it collected as line protocol.
                    For an SNMP device (profile snmp/*) also --credentials NAME (from MONITORING__SNMP__CREDENTIALS__NAME__...).
                monitoring snmp get|walk HOST[:PORT] OID... [-v 1|2c|3] [-c COMMUNITY] [-u USER -l authPriv -a SHA|SHA-256|MD5 -A PASS -x AES|DES -X PASS]
                    Reads or walks OIDs and prints them like net-snmp's snmpget/snmpwalk -On.
                monitoring modbus read HOST:PORT --unit N --table holding|input|coil|discrete --address A --count C
                    Reads raw values from a Modbus TCP server and prints them, like mbpoll.
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
