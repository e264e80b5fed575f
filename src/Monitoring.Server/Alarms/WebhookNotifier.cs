using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Monitoring.Core.Alarms;
using Monitoring.Core.Queues;
using Monitoring.Server.Hosting;
using Monitoring.Server.Relays;
using Monitoring.Server.Tickets;

namespace Monitoring.Server.Alarms;

/// <summary>
/// Sends alarm events to the configured webhooks (SMS or WeChat gateways, chat rooms): per target, the events it wants
/// from its minimum severity, as its template renders them. Each target has its own queue and sender, so a slow or
/// failing one delays nobody else; a failed delivery (network error, timeout, 5xx, 408, 429) is retried with doubling
/// backoff up to the target's attempt limit, then given up and counted. Silent alarms (suppressed, shelved, in
/// maintenance) are not sent. Incident ticket events go to the targets that name them in <c>TicketEvents</c>, through
/// the same queues. Each queue is a <see cref="BoundedRelay{T}"/> of <see cref="QueueCapacity"/> events that drops the
/// newest when full (what waits is still sent, in order): drops are counted per target, logged and shown in /healthz
/// ("webhooks" and "relays"). URLs are logged without their query strings or user info.
/// </summary>
internal sealed partial class WebhookNotifier : BackgroundService, IAlarmEventSink, ITicketNotifier
{
    public const string Component = "webhooks";
    private const int QueueCapacity = 10_000;

    private readonly TimeProvider _time;
    private readonly ComponentHealth _health;
    private readonly ILogger<WebhookNotifier> _logger;
    private readonly JsonSerializerOptions _json;
    private readonly HttpClient _http;
    private readonly List<Target> _targets = [];

    public WebhookNotifier(IOptions<AlarmOptions> options, TimeProvider time, ComponentHealth health, RelayHealth relays, ILogger<WebhookNotifier> logger)
    {
        ArgumentNullException.ThrowIfNull(relays);
        _time = time;
        _health = health;
        _logger = logger;
        _json = new JsonSerializerOptions();
        ServerHost.Configure(_json);
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (config, index) in options.Value.Webhooks.Select((w, i) => (w, i)))
        {
            if (!Uri.TryCreate(config.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                LogInvalidTarget(logger, index);
                continue;
            }

            var target = new Target(config, uri, config.Name ?? uri.Host, t => new BoundedRelay<object>(
                "webhook:" + t.Name, QueueCapacity, RelayDropPolicy.DropNewest, (item, ct) => DeliverAndReportAsync(t, item, ct), logger, Describe));
            relays.Add(target.Queue);
            _targets.Add(target);
        }
    }

    public IReadOnlyList<(string Name, long Delivered, long Failed, long Retries, long Dropped)> Counters =>
        _targets.Select(t => (t.Name, Interlocked.Read(ref t.Delivered), Interlocked.Read(ref t.Failed), Interlocked.Read(ref t.Retries), t.Queue.Dropped)).ToList();

    public void OnAlarmEvent(AlarmEvent alarmEvent)
    {
        if (alarmEvent.Alarm.Silent)
        {
            return;
        }

        foreach (var target in _targets)
        {
            if (target.Wants(alarmEvent))
            {
                target.Queue.TryEnqueue(alarmEvent);
            }
        }
    }

    public Task NotifyAsync(TicketEvent ticketEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ticketEvent);
        foreach (var target in _targets)
        {
            if (target.Wants(ticketEvent))
            {
                target.Queue.TryEnqueue(ticketEvent);
            }
        }

        return Task.CompletedTask;
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_targets.Count == 0)
        {
            _health.Report(Component, ComponentState.Disabled, "no webhooks configured (Monitoring:Alarms:Webhooks)");
            return Task.CompletedTask;
        }

        Report();
        return Task.WhenAll(_targets.Select(t => RunAsync(t, stoppingToken)));
    }

    private static Task RunAsync(Target target, CancellationToken cancellationToken) => target.Queue.RunAsync(cancellationToken);

    private static string Describe(object item) => item is TicketEvent t ? $"ticket event {t.Kind} of {t.Number}"
        : item is AlarmEvent e ? $"{e.Kind} of alarm {e.Alarm.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : item.GetType().Name;

    private async ValueTask DeliverAndReportAsync(Target target, object item, CancellationToken cancellationToken)
    {
        await DeliverAsync(target, item, cancellationToken).ConfigureAwait(false);
        Report();
    }

    private async Task DeliverAsync(Target target, object item, CancellationToken cancellationToken)
    {
        var config = target.Config;
        var json = config.ContentType.Contains("json", StringComparison.OrdinalIgnoreCase);
        string body, kind, subject;
        if (item is TicketEvent ticketEvent)
        {
            body = string.IsNullOrEmpty(config.TicketTemplate) ? WebhookTemplate.DefaultBody(ticketEvent, _json) : WebhookTemplate.Render(config.TicketTemplate, ticketEvent, json);
            kind = Core.Tickets.TicketEventKinds.Wire(ticketEvent.Kind);
            subject = "ticket " + ticketEvent.Number;
        }
        else
        {
            var alarmEvent = (AlarmEvent)item;
            body = string.IsNullOrEmpty(config.Template) ? WebhookTemplate.DefaultBody(alarmEvent, _json) : WebhookTemplate.Render(config.Template, alarmEvent, json);
            kind = alarmEvent.Kind.ToString();
            subject = "alarm " + alarmEvent.Alarm.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var attempts = Math.Max(1, config.MaxAttempts);
        var delay = TimeSpan.FromMilliseconds(Math.Max(10, config.RetryBaseMilliseconds));
        for (var attempt = 1; ; attempt++)
        {
            string outcome;
            var retryAfter = TimeSpan.Zero;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, target.Uri) { Content = new StringContent(body, Encoding.UTF8) };
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(config.ContentType + (config.ContentType.Contains("charset", StringComparison.OrdinalIgnoreCase) ? string.Empty : "; charset=utf-8"));
                foreach (var (name, value) in config.Headers)
                {
                    request.Headers.TryAddWithoutValidation(name, value);
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(100, config.TimeoutMilliseconds)));
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref target.Delivered);
                    LogDelivered(_logger, kind, subject, target.Name, target.Masked, attempt);
                    return;
                }

                if (status is < 500 and not 408 and not 429)
                {
                    Interlocked.Increment(ref target.Failed);
                    LogRefused(_logger, kind, subject, target.Name, target.Masked, status);
                    return;
                }

                retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.Zero;
                outcome = $"HTTP {status}";
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                outcome = ex is OperationCanceledException ? "timed out" : ex.GetType().Name;
            }

            if (attempt >= attempts)
            {
                Interlocked.Increment(ref target.Failed);
                LogGaveUp(_logger, kind, subject, target.Name, target.Masked, attempt, outcome);
                return;
            }

            Interlocked.Increment(ref target.Retries);
            var wait = delay + TimeSpan.FromMilliseconds(Random.Shared.Next(0, (int)Math.Max(1, delay.TotalMilliseconds / 5)));
            if (retryAfter > wait)
            {
                wait = retryAfter;
            }

            wait = wait > TimeSpan.FromSeconds(60) ? TimeSpan.FromSeconds(60) : wait;
            LogRetrying(_logger, kind, subject, target.Name, target.Masked, outcome, attempt, wait.TotalMilliseconds);
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(60).Ticks, delay.Ticks * 2));
        }
    }

    private void Report()
    {
        var counters = Counters;
        var failed = counters.Sum(c => c.Failed);
        _health.Report(
            Component,
            failed > 0 ? ComponentState.Degraded : ComponentState.Ok,
            $"{counters.Count} targets; {counters.Sum(c => c.Delivered)} delivered, {failed} failed",
            counters.ToDictionary(c => c.Name, c => (object?)new { delivered = c.Delivered, failed = c.Failed, retries = c.Retries, dropped = c.Dropped }, StringComparer.Ordinal));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Index} has no valid http(s) URL: ignored")]
    private static partial void LogInvalidTarget(ILogger logger, int index);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {Kind} of {Subject} delivered to {Name} ({Url}) on attempt {Attempt}")]
    private static partial void LogDelivered(ILogger logger, string kind, string subject, string name, string url, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Kind} of {Subject} refused by {Name} ({Url}): HTTP {Status}; not retried")]
    private static partial void LogRefused(ILogger logger, string kind, string subject, string name, string url, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {Kind} of {Subject} to {Name} ({Url}) failed ({Outcome}) on attempt {Attempt}; retrying in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, string kind, string subject, string name, string url, string outcome, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {Kind} of {Subject} to {Name} ({Url}) given up after {Attempts} attempts ({Outcome})")]
    private static partial void LogGaveUp(ILogger logger, string kind, string subject, string name, string url, int attempts, string outcome);

    private sealed class Target
    {
        private readonly HashSet<AlarmEventKind> _events;
        private readonly HashSet<string> _ticketEvents;
        private readonly AlarmSeverity _minSeverity;

        public Target(WebhookTarget config, Uri uri, string name, Func<Target, BoundedRelay<object>> queue)
        {
            Config = config;
            Uri = uri;
            Name = name;
            Masked = WebhookTemplate.MaskUrl(config.Url);
            _events = config.Events.Count == 0
                ? [AlarmEventKind.Raised, AlarmEventKind.Acknowledged, AlarmEventKind.Cleared]
                : config.Events.Select(e => Enum.TryParse<AlarmEventKind>(e, ignoreCase: true, out var k) ? k : (AlarmEventKind?)null).OfType<AlarmEventKind>().ToHashSet();
            _minSeverity = Enum.TryParse<AlarmSeverity>(config.MinSeverity, ignoreCase: true, out var s) ? s : AlarmSeverity.Warning;
            _ticketEvents = config.TicketEvents.ToHashSet(StringComparer.OrdinalIgnoreCase);
            Queue = queue(this);
        }

        public WebhookTarget Config { get; }

        public Uri Uri { get; }

        public string Name { get; }

        public string Masked { get; }

        /// <summary>Alarm events and ticket events, in the order they happened.</summary>
        public BoundedRelay<object> Queue { get; }

#pragma warning disable CA1051, SA1401 // counters updated with Interlocked
        public long Delivered;
        public long Failed;
        public long Retries;
#pragma warning restore CA1051, SA1401

        public bool Wants(AlarmEvent e) => _events.Contains(e.Kind) && e.Alarm.Severity >= _minSeverity;

        public bool Wants(TicketEvent e) => _ticketEvents.Contains(Core.Tickets.TicketEventKinds.Wire(e.Kind));
    }
}
