using System.Reflection;
using Monitoring.Core.Inventory;

namespace Monitoring.Server;

/// <summary>
/// The server executable's verbs. Only <c>run</c> (or no verb, or only server options such as <c>--urls</c>) starts the
/// server; every other verb does its job and exits. <c>--help</c>, <c>-h</c>, a missing or an unknown verb or sub-verb
/// print the usage on stderr and exit 2, like the tools operators know (snmpget, mbpoll); <c>--version</c> prints the
/// version. Paths are taken relative to the caller's working directory.
/// </summary>
internal static class Cli
{
    public const int UsageExitCode = 2;

    public const string Usage = """
        usage: monitoring [run] [--urls URL] [--data DIR] [--profiles DIR] [--simulator true|false]
                   Runs the server (the demo room and its simulator by default) and prints the console's address.
               monitoring validate PATH...
                   Checks a device-profiles folder (rooms, models, protocol profiles, rules, service) or single files,
                   every reference included, without starting; exit 1 on errors. Warnings do not fail.
               monitoring poll DEVICE [--profiles DIR] [--endpoint HOST:PORT] [--timeout MS] [--credentials NAME]
                   Polls one device of the room once with its profile (Modbus or SNMP) and prints line protocol.
               monitoring snmp get|walk HOST[:PORT] OID... [-v 1|2c|3] [-c COMMUNITY] [-u USER -l LEVEL -a PROTO -A PASS -x PROTO -X PASS]
                   Reads or walks OIDs and prints them like net-snmp's snmpget/snmpbulkwalk -On.
               monitoring modbus read HOST:PORT --unit N --table holding|input|coil|discrete --address A --count C
                   Reads raw values from a Modbus TCP server and prints them, like mbpoll.
               monitoring collector --server URL --zone ZONE [--token TOKEN] [--data DIR] [--buffer-max-mb MB]
                   Runs a remote collector node: polls the SNMP/Modbus devices of ZONE, pushes to the server through a disk buffer.
               monitoring --version
        """;

    public static async Task<int> RunAsync(string[] args) =>
        await RunAsync(args, Console.Out, Console.Error, CancellationToken.None).ConfigureAwait(false);

    /// <summary>Dispatches one command line; returns the process exit code.</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var verb = args.Length > 0 ? args[0] : "run";
        var rest = args.Length > 0 ? args.AsMemory(1) : ReadOnlyMemory<string>.Empty;
        if (verb is "--version" or "version")
        {
            await output.WriteLineAsync($"monitoring {Version}").ConfigureAwait(false);
            return 0;
        }

        if (verb is "--help" or "-h" or "help")
        {
            return await UsageAsync(error, Usage).ConfigureAwait(false);
        }

        // server options without a verb ("monitoring --urls http://...") run the server, as before
        if (verb.StartsWith("--", StringComparison.Ordinal))
        {
            verb = "run";
            rest = args;
        }

        switch (verb)
        {
            case "run":
                return AsksForHelp(rest.Span) ? await UsageAsync(error, Usage).ConfigureAwait(false) : await ServeAsync(rest.ToArray(), error).ConfigureAwait(false);
            case "validate":
                return AsksForHelp(rest.Span) || rest.IsEmpty
                    ? await UsageAsync(error, ConfigurationValidator.Usage).ConfigureAwait(false)
                    : ConfigurationValidator.Run(rest.Span, output, error);
            case "poll":
                if (AsksForHelp(rest.Span) || rest.IsEmpty)
                {
                    return await UsageAsync(error, SnmpCommands.PollUsage).ConfigureAwait(false);
                }

                return SnmpCommands.HandlesPoll(rest.Span)
                    ? await SnmpCommands.PollAsync(rest, output, error, cancellationToken).ConfigureAwait(false)
                    : await ModbusCommands.PollAsync(rest, output, error, cancellationToken).ConfigureAwait(false);
            case "snmp":
                return AsksForHelp(rest.Span) || rest.IsEmpty || rest.Span[0] is not ("get" or "walk")
                    ? await UsageAsync(error, SnmpCommands.Usage).ConfigureAwait(false)
                    : await SnmpCommands.RunAsync(rest, output, error, cancellationToken).ConfigureAwait(false);
            case "modbus":
                return AsksForHelp(rest.Span) || rest.IsEmpty || rest.Span[0] is not "read"
                    ? await UsageAsync(error, ModbusCommands.ReadUsage).ConfigureAwait(false)
                    : await ModbusCommands.ReadAsync(rest[1..], output, error, cancellationToken).ConfigureAwait(false);
            case "collector":
                return AsksForHelp(rest.Span) || rest.IsEmpty
                    ? await UsageAsync(error, RemoteCollectors.Node.CollectorNodeOptions.Usage).ConfigureAwait(false)
                    : await RemoteCollectors.Node.CollectorNode.RunAsync(rest, error, cancellationToken).ConfigureAwait(false);
            default:
                await error.WriteLineAsync($"monitoring: unknown verb '{verb}'").ConfigureAwait(false);
                return await UsageAsync(error, Usage).ConfigureAwait(false);
        }
    }

    /// <summary>The informational version (with the commit the build came from, when known).</summary>
    internal static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Cli).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    private static bool AsksForHelp(ReadOnlySpan<string> args)
    {
        foreach (var a in args)
        {
            if (a is "--help" or "-h" or "-?")
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<int> UsageAsync(TextWriter error, string usage)
    {
        await error.WriteLineAsync(usage).ConfigureAwait(false);
        return UsageExitCode;
    }

    private static async Task<int> ServeAsync(string[] serverArgs, TextWriter error)
    {
        WebApplication app;
        try
        {
            app = ServerHost.Build(serverArgs);
        }
        catch (ConfigException ex)
        {
            await error.WriteLineAsync("The configuration is invalid; the server did not start:").ConfigureAwait(false);
            foreach (var e in ex.Errors)
            {
                await error.WriteLineAsync($"  {e}").ConfigureAwait(false);
            }

            return 2;
        }

        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
