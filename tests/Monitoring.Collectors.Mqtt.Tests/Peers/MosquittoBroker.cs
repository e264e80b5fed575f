using System.Globalization;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitoring.Collectors.Mqtt.Tests.Peers;

/// <summary>
/// A real mosquitto, started for a test on a free loopback port in a temp dir with a config written here, and stopped
/// (or killed and restarted on the same port) by the test. Fails with a message naming the Debian package when the
/// binary is missing.
/// </summary>
public sealed class MosquittoBroker : IAsyncDisposable
{
    private readonly MosquittoOptions _options;
    private readonly string _configPath;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private MosquittoBroker(MosquittoOptions options, string directory, int port, int? tlsPort)
    {
        _options = options;
        Directory = directory;
        Port = port;
        TlsPort = tlsPort;
        _configPath = Path.Combine(directory, "mosquitto.conf");
    }

    public string Host { get; } = "127.0.0.1";
    public int Port { get; }
    public int? TlsPort { get; }
    public string Directory { get; }
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What mosquitto wrote to stdout/stderr so far (for assertion messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string BinaryPath => FindBinary("mosquitto", "/usr/sbin/mosquitto")
        ?? throw new InvalidOperationException("mosquitto is not installed: apt-get install -y mosquitto");

    public static string ToolPath(string tool) => FindBinary(tool, "/usr/bin/" + tool)
        ?? throw new InvalidOperationException($"{tool} is not installed: apt-get install -y mosquitto-clients");

    public static async Task<MosquittoBroker> StartAsync(MosquittoOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MosquittoOptions();
        _ = BinaryPath;
        var directory = Path.Combine(Path.GetTempPath(), "mosquitto-test-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        var broker = new MosquittoBroker(options, directory, FreePort(), options.Tls is null ? null : FreePort());
        await broker.WriteConfigAsync(cancellationToken);
        await broker.LaunchAsync(cancellationToken);
        return broker;
    }

    /// <summary>SIGKILL: no DISCONNECT to clients, no database save.</summary>
    public async Task KillAsync()
    {
        if (_process is { } p)
        {
            if (!p.HasExited)
            {
                p.Kill();
            }

            await p.WaitForExitAsync();
            p.Dispose();
            _process = null;
        }
    }

    /// <summary>SIGTERM: mosquitto saves its database (with persistence) and exits.</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            if (!p.HasExited)
            {
                _ = Kill(p.Id, 15);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await p.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    p.Kill();
                    await p.WaitForExitAsync();
                }
            }

            p.Dispose();
            _process = null;
        }
    }

    /// <summary>SIGSTOP: mosquitto keeps its sockets open but answers nothing (a hung broker).</summary>
    public void Pause()
    {
        if (_process is { HasExited: false } p)
        {
            _ = Kill(p.Id, 19);
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume()
    {
        if (_process is { HasExited: false } p)
        {
            _ = Kill(p.Id, 18);
        }
    }

    /// <summary>Starts mosquitto again on the same ports with the same config (and database, with persistence).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => LaunchAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Runs mosquitto_pub against this broker; returns its exit code and output.</summary>
    public Task<(int ExitCode, string Output)> PublishWithToolAsync(params string[] args) =>
        RunToolAsync("mosquitto_pub", ["-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args]);

    public static async Task<(int ExitCode, string Output)> RunToolAsync(string tool, string[] args, CancellationToken cancellationToken = default)
    {
        var psi = new ProcessStartInfo(ToolPath(tool)) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = p.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(cancellationToken);
        await p.WaitForExitAsync(cancellationToken);
        return (p.ExitCode, await stdout + await stderr);
    }

    /// <summary>
    /// Starts <c>mosquitto_sub -d</c> and returns once the broker has confirmed its subscription (SUBACK), so nothing
    /// published afterwards can be missed; the task completes with the exit code and the received message lines
    /// (its debug lines left out).
    /// </summary>
    public static async Task<Task<(int ExitCode, string Messages)>> SubscribeToolAsync(string[] args, TimeSpan readyWithin)
    {
        // stdout into a pipe is block-buffered: stdbuf makes mosquitto_sub write each line as it happens
        var psi = new ProcessStartInfo("stdbuf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-oL");
        psi.ArgumentList.Add(ToolPath("mosquitto_sub"));
        psi.ArgumentList.Add("-d");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto_sub did not start");
        var messages = new StringBuilder();
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdout = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("Client ", StringComparison.Ordinal) || line.StartsWith("Subscribed ", StringComparison.Ordinal))
                {
                    if (line.Contains("SUBACK", StringComparison.Ordinal) || line.StartsWith("Subscribed ", StringComparison.Ordinal))
                    {
                        subscribed.TrySetResult();
                    }

                    continue;
                }

                messages.AppendLine(line);
            }
        });
        var stderr = p.StandardError.ReadToEndAsync();
        var ready = await Task.WhenAny(subscribed.Task, p.WaitForExitAsync(), Task.Delay(readyWithin));
        if (ready != subscribed.Task)
        {
            p.Kill(entireProcessTree: true);
            p.Dispose();
            throw new InvalidOperationException($"mosquitto_sub was not subscribed within {readyWithin}: {await stderr}");
        }

        return Finish();

        async Task<(int, string)> Finish()
        {
            using (p)
            {
                await p.WaitForExitAsync();
                await stdout;
                return (p.ExitCode, messages + await stderr);
            }
        }
    }

    private async Task WriteConfigAsync(CancellationToken cancellationToken)
    {
        var conf = new StringBuilder();
        conf.AppendLine("per_listener_settings false");
        conf.AppendLine(CultureInfo.InvariantCulture, $"listener {Port} 127.0.0.1");
        if (_options.Tls is { } tls)
        {
            conf.AppendLine(CultureInfo.InvariantCulture, $"listener {TlsPort} 127.0.0.1");
            conf.AppendLine(CultureInfo.InvariantCulture, $"certfile {tls.CertFile}");
            conf.AppendLine(CultureInfo.InvariantCulture, $"keyfile {tls.KeyFile}");
            conf.AppendLine(CultureInfo.InvariantCulture, $"cafile {tls.CaFile}");
        }

        conf.AppendLine(CultureInfo.InvariantCulture, $"allow_anonymous {(_options.AllowAnonymous ? "true" : "false")}");
        if (_options.Users.Count > 0)
        {
            var passwd = Path.Combine(Directory, "passwd");
            await File.WriteAllTextAsync(passwd, string.Empty, cancellationToken);
            foreach (var (user, password) in _options.Users)
            {
                var (code, output) = await RunToolAsync("mosquitto_passwd", ["-b", passwd, user, password], cancellationToken);
                if (code != 0)
                {
                    throw new InvalidOperationException($"mosquitto_passwd failed ({code}): {output}");
                }
            }

            conf.AppendLine(CultureInfo.InvariantCulture, $"password_file {passwd}");
        }

        if (_options.Persistence)
        {
            conf.AppendLine("persistence true");
            conf.AppendLine(CultureInfo.InvariantCulture, $"persistence_location {Directory}/");
            conf.AppendLine("autosave_interval 1");
        }

        conf.AppendLine(CultureInfo.InvariantCulture, $"max_queued_messages {_options.MaxQueuedMessages}");
        conf.AppendLine("log_dest stdout");
        conf.AppendLine("log_type error");
        conf.AppendLine("log_type warning");
        conf.AppendLine("log_type notice");
        conf.AppendLine("log_type information");
        if (Environment.UserName == "root")
        {
            // Started as root, mosquitto would switch to the "mosquitto" user, which cannot read this temp dir.
            conf.AppendLine("user root");
        }

        foreach (var line in _options.ExtraConfig)
        {
            conf.AppendLine(line);
        }

        await File.WriteAllTextAsync(_configPath, conf.ToString(), cancellationToken);
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("mosquitto is already running");
        }

        var psi = new ProcessStartInfo(BinaryPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Directory,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(_configPath);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("mosquitto did not start");
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (p.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {p.ExitCode} at start:\n{Log}");
            }

            if (await CanConnectAsync(Port) && (TlsPort is not { } tlsPort || await CanConnectAsync(tlsPort)))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"mosquitto did not listen on {Port} within 10 s:\n{Log}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static async Task<bool> CanConnectAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindBinary(string name, string usual)
    {
        if (File.Exists(usual))
        {
            return usual;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int Kill(int pid, int signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit();
        return kill?.ExitCode ?? -1;
    }
}
