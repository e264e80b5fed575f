using System.Diagnostics;
using System.Text;
using Npgsql;

namespace Monitoring.Testing;

/// <summary>
/// A real PostgreSQL (Debian's postgresql-15) started by a test: initdb and pg_ctl in a temp folder, as the postgres
/// user when the tests run as root (runuser), on a free loopback port with its socket in the same folder; stopped and
/// deleted on dispose. Missing binaries fail the test (apt-get install -y postgresql), never skip it.
/// One file, linked into the Storage and Server test projects and the benchmarks (tests/Shared).
/// </summary>
internal sealed class PostgresPeer : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(90);
    private static int s_databases;

    private readonly string _bin;
    private readonly bool _durable;

    private PostgresPeer(string bin, string directory, int port, bool durable)
    {
        _bin = bin;
        Directory = directory;
        Port = port;
        _durable = durable;
    }

    /// <summary>The folder holding the cluster (data/), its log and its socket.</summary>
    public string Directory { get; }

    public int Port { get; }

    public string DataDirectory => Path.Combine(Directory, "data");

    /// <summary>The server's log so far (for failure messages).</summary>
    public string Log => File.Exists(Path.Combine(Directory, "postgres.log")) ? File.ReadAllText(Path.Combine(Directory, "postgres.log")) : string.Empty;

    /// <summary>/usr/lib/postgresql/NN/bin holding initdb (the newest installed), or null.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (!System.IO.Directory.Exists(root))
        {
            return null;
        }

        return System.IO.Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    /// <summary>
    /// initdb + pg_ctl start, waits until it answers. <paramref name="durable"/>: fsync on (benchmarks, crash tests of
    /// PostgreSQL itself); otherwise fsync is off, which only matters if the machine itself crashes.
    /// </summary>
    public static async Task<PostgresPeer> StartAsync(bool durable = false)
    {
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install -y postgresql");
        var directory = System.IO.Directory.CreateTempSubdirectory("monitoring-pg-").FullName;
        if (IsRoot)
        {
            await RunAsync("/bin/chown", ["-R", SuperUser, directory], asPostgres: false);
        }

        var peer = new PostgresPeer(bin, directory, PeerProcess.FreePort(), durable);
        try
        {
            await peer.RunToolAsync("initdb", ["-D", peer.DataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]);
            await peer.StartServerAsync();
            return peer;
        }
        catch
        {
            await peer.DisposeAsync();
            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> (no password: trust on loopback).</summary>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = SuperUser,
            Database = database,
            Timeout = 15,
            CommandTimeout = 60,
        }.ConnectionString;

    /// <summary>A fresh, empty database (CREATE DATABASE); its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref s_databases)}_{Environment.ProcessId}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"CREATE DATABASE \"{name}\"";
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server at once (pg_ctl stop -m immediate: as if it crashed); <see cref="StartServerAsync"/> brings it back.</summary>
    public Task StopServerAsync() => RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);

    /// <summary>Starts the (stopped) server again on the same port and waits until it answers.</summary>
    public async Task StartServerAsync()
    {
        var settings = $"-p {Port} -k {Directory} -c listen_addresses=127.0.0.1 -c max_connections=200" + (_durable ? string.Empty : " -c fsync=off");
        await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-l", Path.Combine(Directory, "postgres.log"), "-o", settings, "-w", "-t", "90", "start"]);
        var deadline = DateTime.UtcNow + StartDeadline;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString());
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                await command.ExecuteScalarAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
            catch (NpgsqlException ex)
            {
                throw new TimeoutException($"PostgreSQL did not answer on port {Port} within {StartDeadline.TotalSeconds} s: {ex.Message}\n{Log}", ex);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopServerAsync();
            }
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private Task RunToolAsync(string tool, string[] arguments) => RunAsync(Path.Combine(_bin, tool), arguments, asPostgres: IsRoot);

    private static async Task RunAsync(string file, string[] arguments, bool asPostgres)
    {
        var start = new ProcessStartInfo(asPostgres ? "/usr/sbin/runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", SuperUser, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StartDeadline);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} did not finish within {StartDeadline.TotalSeconds} s");
        }

        output.Append(await stdout).Append(await stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output}");
        }
    }
}
