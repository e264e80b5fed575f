using System.Globalization;
using Monitoring.Core.Inventory;
using Monitoring.Core.Training;
using Monitoring.Server.Live;
using Monitoring.Storage.Training;

namespace Monitoring.Server.Training.Scoring;

/// <summary>What the hub sends as "quiz" when one is posed: the question, never the answer.</summary>
public sealed record QuizMessage(string Id, string Source, DrillTextDto Ask, DateTimeOffset PosedAt, double WithinSeconds, int Points);

/// <summary>The outcome of an answer: kept (with the score), or why not.</summary>
internal enum AnswerOutcome
{
    Scored,
    UnknownQuiz,
    AlreadyAnswered,
}

/// <summary>
/// The locate quizzes of a training session's host: the drill's (<c>quiz:</c>, posed when drill time reaches their
/// <c>at</c>, watched once a second) and the instructor's (posed at once). Every posed quiz is stored before it is
/// announced ("quiz" on the hub to the session's consoles). A trainee's first answer is scored and kept (right
/// within the quiz's time: its points; right later: half; wrong: none); a second is refused.
/// </summary>
internal sealed partial class QuizService(
    TrainingStore store,
    TrainingContext context,
    IDrillClock clock,
    DrillCatalog catalog,
    Inventory inventory,
    HubConnectionRegistry hub,
    TraineeActivityLog log,
    TimeProvider time,
    ILogger<QuizService> logger) : BackgroundService
{
    public const string QuizMethod = "quiz";

    /// <summary>How long a live quiz waits for full points.</summary>
    public static readonly TimeSpan LiveWithin = TimeSpan.FromMinutes(2);

    public const int LivePoints = DrillLoader.DefaultPoints;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _posed = new(StringComparer.Ordinal);

    private string Session => context.SessionId ?? string.Empty;

    public Task<IReadOnlyList<TrainingQuizRow>> QuizzesAsync(CancellationToken cancellationToken) => store.QuizzesAsync(Session, cancellationToken);

    /// <summary>The instructor poses a quiz now; without a question, one is written from the inventory in both languages.</summary>
    public async Task<TrainingQuizRow> PoseAsync(Device device, int? port, DrillText? ask, string by, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        ask ??= QuizQuestions.For(inventory, device, port);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var existing = await store.QuizzesAsync(Session, cancellationToken).ConfigureAwait(false);
            var n = existing.Count(q => q.Source == "live") + 1;
            TrainingQuizRow quiz;
            do
            {
                quiz = new TrainingQuizRow(
                    Session, "live-" + n.ToString(CultureInfo.InvariantCulture), "live", device.Id, port, ask.Zh, ask.En, time.GetUtcNow(),
                    clock.Now, LiveWithin, LivePoints, by);
                n++;
            }
            while (!await store.AddQuizAsync(quiz, cancellationToken).ConfigureAwait(false));

            Announce(quiz);
            return quiz;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Scores and keeps a trainee's first answer to a quiz (and logs it as an action), in one transaction.</summary>
    public async Task<(AnswerOutcome Outcome, TrainingQuizAnswerRow? Answer, TrainingQuizRow? Quiz)> AnswerAsync(
        string quizId, string user, Device device, int? port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(device);
        var quizzes = await store.QuizzesAsync(Session, cancellationToken).ConfigureAwait(false);
        if (quizzes.FirstOrDefault(q => q.Id == quizId) is not { } quiz)
        {
            return (AnswerOutcome.UnknownQuiz, null, null);
        }

        var action = log.Stamp(user, TraineeActivityKinds.QuizAnswer) with { DeviceId = device.Id, Port = port, Ref = quiz.Id };
        var correct = string.Equals(quiz.DeviceId, device.Id, StringComparison.Ordinal) && (quiz.Port is null || quiz.Port == port);

        // drill time when the quiz was posed in the drill that still runs; wall time otherwise
        var taken = quiz.DrillAt is { } posedAt && action.DrillAt is { } now && now >= posedAt ? now - posedAt : action.At - quiz.PosedAt;
        if (taken < TimeSpan.Zero)
        {
            taken = TimeSpan.Zero;
        }

        var earned = !correct ? 0 : taken <= quiz.Within ? quiz.Points : quiz.Points / 2;
        var answer = new TrainingQuizAnswerRow(Session, quiz.Id, user, action.At, device.Id, port, correct, Math.Round(taken.TotalSeconds, 1), earned);
        action = action with { Detail = correct ? "right" : "wrong" };
        return await store.AddAnswerAsync(answer, action, cancellationToken).ConfigureAwait(false)
            ? (AnswerOutcome.Scored, answer, quiz)
            : (AnswerOutcome.AlreadyAnswered, null, quiz);
    }

    /// <summary>Poses the running drill's quizzes as drill time reaches them.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var quiz in await store.QuizzesAsync(Session, stoppingToken).ConfigureAwait(false))
        {
            _posed.Add(quiz.Id);
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        do
        {
            try
            {
                await PoseDueAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPoseFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    private async Task PoseDueAsync(CancellationToken cancellationToken)
    {
        if (clock.DrillId is not { } drillId || clock.Now is not { } now || catalog.Find(drillId) is not { } drill)
        {
            return;
        }

        foreach (var due in drill.Quizzes.Where(q => q.At <= now && !_posed.Contains(q.Id)))
        {
            var quiz = new TrainingQuizRow(
                Session, due.Id, "drill", due.DeviceId, due.PortIndex, due.Ask.Zh, due.Ask.En, time.GetUtcNow(), due.At, due.Within, due.Points, null);
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (await store.AddQuizAsync(quiz, cancellationToken).ConfigureAwait(false))
                {
                    Announce(quiz);
                }

                _posed.Add(due.Id);
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    private void Announce(TrainingQuizRow quiz) =>
        hub.PublishEverywhere(HubAudience.Alarms, QuizMethod, new QuizMessage(quiz.Id, quiz.Source, new DrillTextDto(quiz.AskZh, quiz.AskEn), quiz.PosedAt, quiz.Within.TotalSeconds, quiz.Points));

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The drill's due quizzes could not be posed; retrying in a second")]
    private static partial void LogPoseFailed(ILogger logger, Exception exception);
}

/// <summary>Writes a locate question from the inventory, in both languages: the port's name, the device's kind, its rack; a UPS by the rack it feeds.</summary>
internal static class QuizQuestions
{
    public static DrillText For(Inventory inventory, Device device, int? port)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(device);
        var (kindZh, kindEn) = Kind(device.Model.Kind);
        var rack = RackName(inventory, device.RoomId, device.RackId);
        if (port is { } index && device.Model.FindPort(index) is { } p)
        {
            return rack is null
                ? new DrillText($"找到{kindZh}“{device.Name}”的 {p.Name} 端口", $"Find port {p.Name} of the {kindEn} {device.Id}")
                : new DrillText($"找到 {rack} 机柜{kindZh}“{device.Name}”的 {p.Name} 端口", $"Find port {p.Name} of the {kindEn} in rack {rack} ({device.Id})");
        }

        if (device.Model.Kind == DeviceKind.Ups && FedRack(inventory, device) is { } fed)
        {
            return new DrillText($"找到为 {fed} 机柜供电的 UPS", $"Find the UPS that feeds rack {fed}");
        }

        return rack is null
            ? new DrillText($"找到{kindZh}“{device.Name}”", $"Find the {kindEn} {device.Id}")
            : new DrillText($"找到 {rack} 机柜中的{kindZh}“{device.Name}”", $"Find the {kindEn} {device.Id} in rack {rack}");
    }

    /// <summary>A rack whose power devices (role power) all depend on this UPS: it alone feeds that rack.</summary>
    private static string? FedRack(Inventory inventory, Device ups)
    {
        if (inventory.FindRoom(ups.RoomId) is not { } room)
        {
            return null;
        }

        foreach (var rack in room.Racks)
        {
            var feeds = room.Devices.Where(d => d.RackId == rack.Id && d.Role == "power" && d.DependsOn is not null)
                .Select(d => d.DependsOn!.Split(':')[0]).Distinct(StringComparer.Ordinal).ToList();
            if (feeds.Count == 1 && feeds[0] == ups.Id)
            {
                return rack.Name;
            }
        }

        return null;
    }

    private static string? RackName(Inventory inventory, string roomId, string? rackId) =>
        rackId is null ? null : inventory.FindRoom(roomId)?.Racks.FirstOrDefault(r => r.Id == rackId)?.Name ?? rackId;

    private static (string Zh, string En) Kind(DeviceKind kind) => kind switch
    {
        DeviceKind.Switch => ("交换机", "switch"),
        DeviceKind.Router => ("路由器", "router"),
        DeviceKind.Firewall => ("防火墙", "firewall"),
        DeviceKind.Server => ("服务器", "server"),
        DeviceKind.Storage => ("存储", "storage array"),
        DeviceKind.PatchPanel => ("配线架", "patch panel"),
        DeviceKind.Pdu => ("PDU", "PDU"),
        DeviceKind.Ups => ("UPS", "UPS"),
        DeviceKind.AirConditioner => ("精密空调", "air conditioner"),
        DeviceKind.Sensor => ("传感器", "sensor"),
        DeviceKind.Probe => ("探头", "probe"),
        DeviceKind.Lamp => ("告警灯", "alarm lamp"),
        _ => ("设备", "device"),
    };
}
