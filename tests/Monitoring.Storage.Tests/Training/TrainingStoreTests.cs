using Monitoring.Storage.Training;

namespace Monitoring.Storage.Tests.Training;

/// <summary>The trainee action log, quizzes and answers on both providers.</summary>
public abstract class TrainingStoreTests(StoreProvider provider) : IAsyncLifetime, IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("training-store-").FullName;
    private Database _database = null!;
    private TrainingStore _store = null!;

    public async Task InitializeAsync()
    {
        _database = new Database(await provider.NewOptionsAsync(_directory));
        await new Migrator(_database).MigrateAsync(CancellationToken.None);
        _store = new TrainingStore(_database);
    }

    ValueTask IAsyncDisposable.DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return _database.DisposeAsync();
    }

    public async Task DisposeAsync()
    {
        await _database.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private static TrainingQuizRow Quiz(string session, string id) =>
        new(session, id, "drill", "ups-1", 3, "哪台设备漏水？", "Which device leaks?", T0.AddMinutes(1), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(2), 10, null);

    [Fact]
    public async Task Actions_get_increasing_ids_and_read_back_as_written()
    {
        var ack = await _store.AppendAsync(
            new TrainingActionRow(0, "s1", "trainee1", "acknowledge", T0, "leak-drill", TimeSpan.FromSeconds(42.5), RuleId: "water-leak", DeviceId: "leak-1", Port: 2, Ref: "17"),
            CancellationToken.None);
        var ticket = await _store.AppendAsync(
            new TrainingActionRow(0, "s1", "trainee2", "ticketOpened", T0.AddSeconds(5), null, null, Category: "fault", TeamId: "facilities", Detail: "漏水"),
            CancellationToken.None);
        var other = await _store.AppendAsync(new TrainingActionRow(0, "s2", "trainee1", "locate", T0, null, null), CancellationToken.None);

        Assert.True(ack.Id > 0);
        Assert.True(ticket.Id > ack.Id);
        Assert.True(other.Id > ticket.Id);

        var actions = await _store.ActionsAsync("s1", CancellationToken.None);
        Assert.Equal([ack, ticket], actions);
        Assert.Equal(TimeSpan.FromMilliseconds(42_500), actions[0].DrillAt);
        Assert.Null(actions[1].Port);
        Assert.Equal([other], await _store.ActionsAsync("s2", CancellationToken.None));
        Assert.Empty(await _store.ActionsAsync("none", CancellationToken.None));
    }

    [Fact]
    public async Task A_quiz_is_posed_once_per_session()
    {
        Assert.True(await _store.AddQuizAsync(Quiz("s1", "q1"), CancellationToken.None));
        Assert.False(await _store.AddQuizAsync(Quiz("s1", "q1") with { AskEn = "posed again" }, CancellationToken.None));
        Assert.True(await _store.AddQuizAsync(Quiz("s2", "q1"), CancellationToken.None));
        var live = new TrainingQuizRow("s1", "live-1", "live", "crac-2", null, "精密空调在哪？", "Where is CRAC 2?", T0.AddMinutes(2), null, TimeSpan.FromSeconds(90), 5, "instructor");
        Assert.True(await _store.AddQuizAsync(live, CancellationToken.None));

        var quizzes = await _store.QuizzesAsync("s1", CancellationToken.None);
        Assert.Equal([Quiz("s1", "q1"), live], quizzes);
        Assert.Single(await _store.QuizzesAsync("s2", CancellationToken.None));
    }

    [Fact]
    public async Task A_trainee_answers_a_quiz_once_a_second_answer_is_refused_and_logs_nothing()
    {
        Assert.True(await _store.AddQuizAsync(Quiz("s1", "q1"), CancellationToken.None));
        var answer = new TrainingQuizAnswerRow("s1", "q1", "trainee1", T0.AddMinutes(2), "ups-1", 3, Correct: true, 61.25, 8);
        var action = new TrainingActionRow(0, "s1", "trainee1", "quizAnswer", T0.AddMinutes(2), "leak-drill", TimeSpan.FromSeconds(121), DeviceId: "ups-1", Port: 3, Ref: "q1");

        Assert.True(await _store.AddAnswerAsync(answer, action, CancellationToken.None));
        Assert.False(await _store.AddAnswerAsync(answer with { DeviceId = "ups-2", Correct = false, Earned = 0 }, action with { DeviceId = "ups-2" }, CancellationToken.None));
        var wrong = new TrainingQuizAnswerRow("s1", "q1", "trainee2", T0.AddMinutes(3), "ups-2", null, Correct: false, 120, 0);
        Assert.True(await _store.AddAnswerAsync(wrong, action with { User = "trainee2", DeviceId = "ups-2", Port = null }, CancellationToken.None));

        Assert.Equal([answer, wrong], await _store.AnswersAsync("s1", CancellationToken.None));
        var logged = await _store.ActionsAsync("s1", CancellationToken.None);
        Assert.Equal(["trainee1", "trainee2"], logged.Select(a => a.User));
        Assert.All(logged, a => Assert.Equal("quizAnswer", a.Kind));
        Assert.Equal("ups-1", logged[0].DeviceId);
    }

    public sealed class Sqlite() : TrainingStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : TrainingStoreTests(postgres), IClassFixture<PostgresFixture>;
}
