using System.Net.Sockets;
using System.Text;

namespace Monitoring.Testing;

/// <summary>
/// A real Redis (Debian's redis-server) started by a test on a free loopback port, its working folder a temp dir, no
/// persistence; killed and deleted on dispose. A missing binary fails the test (apt-get install -y redis-server).
/// Started, watched and stopped through <see cref="PeerProcess"/>. One file, linked into the test projects that need it
/// (tests/Shared).
/// </summary>
internal sealed class RedisPeer : IDisposable
{
    private static readonly TimeSpan StartDeadline = TimeSpan.FromSeconds(30);
    private readonly PeerProcess _process;

    private RedisPeer(PeerProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public string Directory => _process.Directory;

    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    public string Output => _process.Output;

    public static async Task<RedisPeer> StartAsync()
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("monitoring-redis-").FullName;
        var port = PeerProcess.FreePort();
        var process = PeerProcess.Start(
            "redis-server", "redis-server",
            ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no", "--daemonize", "no"],
            directory);
        var peer = new RedisPeer(process, port);
        try
        {
            // until PING answers +PONG on the port
            await process.WaitReadyAsync(
                async () =>
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync("127.0.0.1", port);
                    var stream = client.GetStream();
                    await stream.WriteAsync("PING\r\n"u8.ToArray());
                    var buffer = new byte[16];
                    var read = await stream.ReadAsync(buffer);
                    return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
                },
                $"answer PING on port {port}",
                StartDeadline);
            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
