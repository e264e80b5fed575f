using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Monitoring.Server.Tests.Mqtt;

/// <summary>A real mosquitto on a free loopback port in a temp dir, stopped at the end (Debian packages mosquitto, mosquitto-clients).</summary>
public sealed class MosquittoPeer : IAsyncDisposable
{
    private readonly Process _process;

    private MosquittoPeer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    public string Directory { get; }

    public static async Task<MosquittoPeer> StartAsync()
    {
        var binary = Find("/usr/sbin/mosquitto", "mosquitto");
        var directory = System.IO.Directory.CreateTempSubdirectory("mosquitto-server-test-").FullName;
        var port = FreePort();
        var config = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        var process = Process.Start(new ProcessStartInfo(binary, ["-c", config]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })
            ?? throw new InvalidOperationException("mosquitto did not start");
        var peer = new MosquittoPeer(process, port, directory);
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return peer;
            }
            catch (SocketException)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"mosquitto exited: {await process.StandardError.ReadToEndAsync()}");
                }

                await Task.Delay(50);
            }
        }

        await peer.DisposeAsync();
        throw new InvalidOperationException("mosquitto did not listen within 5 s");
    }

    /// <summary>Runs mosquitto_pub with the given arguments against this broker (or another port); returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> PublishAsync(int port, params string[] args)
    {
        var tool = Find("/usr/bin/mosquitto_pub", "mosquitto-clients");
        using var process = Process.Start(new ProcessStartInfo(tool, ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. args])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("mosquitto_pub did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string Find(string path, string package) =>
        File.Exists(path) ? path : throw new InvalidOperationException($"{path} not found: install the Debian package '{package}' (apt-get install -y {package})");

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
