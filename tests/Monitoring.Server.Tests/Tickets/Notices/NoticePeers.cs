using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Monitoring.Testing;

namespace Monitoring.Server.Tests.Tickets.Notices;

/// <summary>
/// A real SMTP server: Debian's aiosmtpd (python3-aiosmtpd) on a loopback port, with a small handler module written
/// into the test's temp folder that parses every received message with Python's email package (MIME decoded: subject,
/// plain body, Content-Language) and writes it as one JSON file. Missing aiosmtpd fails the test (never skips).
/// </summary>
internal sealed class SmtpCapture : IDisposable
{
    private const string Binary = "/usr/bin/aiosmtpd";
    private const string Handler = """
        import json, os, email
        from email import policy

        class Capture:
            def __init__(self, folder):
                self.folder = folder
                self.count = 0

            @classmethod
            def from_cli(cls, parser, *args):
                return cls(args[0])

            async def handle_DATA(self, server, session, envelope):
                message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
                body = message.get_body(preferencelist=('plain',))
                self.count += 1
                data = {
                    'from': envelope.mail_from,
                    'to': envelope.rcpt_tos,
                    'subject': str(message['subject']),
                    'contentLanguage': message.get('Content-Language'),
                    'noticeId': message.get('X-Notice-Id'),
                    'body': body.get_content() if body is not None else '',
                }
                name = os.path.join(self.folder, '%05d' % self.count)
                with open(name + '.tmp', 'w', encoding='utf-8') as f:
                    json.dump(data, f, ensure_ascii=False)
                os.rename(name + '.tmp', name + '.json')
                return '250 Message accepted for delivery'
        """;

    private readonly PeerProcess _process;

    private SmtpCapture(PeerProcess process, string folder, int port)
    {
        _process = process;
        Folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string Folder { get; }

    public string Output => _process.Output;

    public static async Task<SmtpCapture> StartAsync(string directory, int? port = null)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: apt-get install -y python3-aiosmtpd");
        var folder = Path.Combine(directory, "mail");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(directory, "notice_capture.py"), Handler);
        var listen = port ?? PeerProcess.FreePort();
        var process = PeerProcess.Start(
            Binary, "python3-aiosmtpd", ["-n", "-l", $"127.0.0.1:{listen}", "-c", "notice_capture.Capture", folder], directory,
            new Dictionary<string, string> { ["PYTHONPATH"] = directory });
        var capture = new SmtpCapture(process, folder, listen);
        try
        {
            // until it greets with 220 on the port
            await process.WaitReadyAsync(
                async () =>
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, listen);
                    using var reader = new StreamReader(client.GetStream());
                    var greeting = await reader.ReadLineAsync();
                    return greeting?.StartsWith("220", StringComparison.Ordinal) == true;
                },
                "greet",
                TimeSpan.FromSeconds(30));
            return capture;
        }
        catch
        {
            capture.Dispose();
            throw;
        }
    }

    /// <summary>The messages received so far, in order.</summary>
    public IReadOnlyList<JsonElement> Messages =>
        [.. Directory.EnumerateFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone())];

    public async Task<IReadOnlyList<JsonElement>> WaitForAsync(Func<IReadOnlyList<JsonElement>, bool> done, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var messages = Messages;
            if (done(messages))
            {
                return messages;
            }

            Assert.True(DateTime.UtcNow < deadline, $"SMTP: {what} not received within {timeoutMs} ms; got {messages.Count}: {string.Join(" | ", messages.Select(m => m.GetProperty("subject").GetString()))}");
            await Task.Delay(50);
        }
    }

    public void Dispose() => _process.Dispose();
}

/// <summary>
/// A real HTTP receiver for the SMS gateway webhook (HttpListener on a loopback port): verifies every request's
/// HMAC-SHA256 signature over "timestamp.body" with the shared secret, answers the given status codes in order (then
/// 200), and keeps every request.
/// </summary>
internal sealed class SignedWebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly string _secret;
    private readonly ConcurrentQueue<int> _answers;
    private readonly Task _loop;

    public SignedWebhookReceiver(string secret, params int[] answers)
    {
        _secret = secret;
        _answers = new ConcurrentQueue<int>(answers);
        Port = PeerProcess.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(RunAsync);
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}/sms";

    public ConcurrentQueue<Received> Requests { get; } = new();

    public sealed record Received(JsonElement Body, string? Timestamp, bool SignatureValid, int Answered, string? NoticeId);

    public async Task<IReadOnlyList<Received>> WaitForAsync(Func<IReadOnlyList<Received>, bool> done, string what, int timeoutMs = 30_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            var requests = Requests.ToArray();
            if (done(requests))
            {
                return requests;
            }

            Assert.True(DateTime.UtcNow < deadline, $"webhook: {what} not received within {timeoutMs} ms; got {requests.Length}: {string.Join(" | ", requests.Select(r => r.Body.GetRawText()))}");
            await Task.Delay(50);
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(5000);
        }
        catch (AggregateException)
        {
        }
    }

    private async Task RunAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var timestamp = context.Request.Headers["X-Notice-Timestamp"];
            var signature = context.Request.Headers["X-Notice-Signature"];
            var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(_secret), Encoding.UTF8.GetBytes(timestamp + "." + body)));
            var valid = timestamp is not null && signature is not null
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
            var status = !valid ? 401 : _answers.TryDequeue(out var answer) ? answer : 200;
            Requests.Enqueue(new Received(JsonDocument.Parse(body).RootElement.Clone(), timestamp, valid, status, context.Request.Headers["X-Notice-Id"]));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }
}
