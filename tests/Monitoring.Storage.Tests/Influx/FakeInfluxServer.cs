using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Monitoring.Storage.Tests.Influx;

/// <summary>A tiny HTTP server on loopback that answers writes from a script and records what it received.</summary>
internal sealed class FakeInfluxServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<Func<HttpListenerResponse, Task>> _script = new();
    private readonly Task _loop;

    public FakeInfluxServer()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public ConcurrentQueue<ReceivedWrite> Received { get; } = new();

    /// <summary>Answers an unscripted request from its (decompressed) body: a status and a body, or null for 204.</summary>
    public Func<string, (int Status, string Body)?>? Responder { get; set; }

    /// <summary>The next request is answered with this status (and Retry-After, when given); unscripted requests get 204.</summary>
    public void Then(int status, string body = "", string? retryAfter = null) => _script.Enqueue(async response =>
    {
        response.StatusCode = status;
        if (retryAfter is not null)
        {
            response.AddHeader("Retry-After", retryAfter);
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    });

    public async Task WaitForRequestsAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Received.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"expected {count} request(s), got {Received.Count}");
            }

            await Task.Delay(10).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(2));
        }
        catch (AggregateException)
        {
        }
    }

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            Stream input = context.Request.Headers["Content-Encoding"] == "gzip" ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress) : context.Request.InputStream;
            await input.CopyToAsync(body).ConfigureAwait(false);
            Received.Enqueue(new ReceivedWrite(context.Request.Url!.PathAndQuery, context.Request.Headers["Authorization"], Encoding.UTF8.GetString(body.ToArray())));
            var response = context.Response;
            if (_script.TryDequeue(out var answer))
            {
                await answer(response).ConfigureAwait(false);
            }
            else if (Responder?.Invoke(Encoding.UTF8.GetString(body.ToArray())) is { } answered)
            {
                response.StatusCode = answered.Status;
                var bytes = Encoding.UTF8.GetBytes(answered.Body);
                await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            }
            else
            {
                response.StatusCode = 204;
            }

            response.Close();
        }
    }
}

internal sealed record ReceivedWrite(string PathAndQuery, string? Authorization, string Body);
