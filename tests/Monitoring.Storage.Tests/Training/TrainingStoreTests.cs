using Monitoring.Storage.Training;

namespace Monitoring.Storage.Tests.Training;

/// <summary>The trainee action log, quizzes and answers on both providers.</summary>
public abstract class TrainingStoreTests(StoreProvider provider) : MigratedStoreTests<TrainingStore>(provider, "training-store-", database => new TrainingStore(database))
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private static TrainingQuizRow Quiz(string session, string id) =>
        new(session, id, "drill", "ups-1", 3, "哪台设备漏水？", "Which device leaks?", T0.AddMinutes(1), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(2), 10, null);

    [Fact]
    public async Task Actions_get_increasing_ids_and_read_back_as_written()
    {
        var ack = await Store.AppendAsync(
            new TrainingActionRow(0, "s1", "trainee1", "acknowledge", T0, "leak-drill", TimeSpan.FromSeconds(42.5), RuleId: "water-leak", DeviceId: "leak-1", Port: 2, Ref: "17"),
            CancellationToken.None);
        var ticket = await Store.AppendAsync(
            new TrainingActionRow(0, "s1", "trainee2", "ticketOpened", T0.AddSeconds(5), null, null, Category: "fault", TeamId: "facilities", Detail: "漏水"),
            CancellationToken.None);
        var other = await Store.AppendAsync(new TrainingActionRow(0, "s2", "trainee1", "locate", T0, null, null), CancellationToken.None);

        Assert.True(ack.Id > 0);
        Assert.True(ticket.Id > ack.Id);
        Assert.True(other.Id > ticket.Id);

        var actions = await Store.ActionsAsync("s1", CancellationToken.None);
        Assert.Equal([ack, ticket], actions);
        Assert.Equal(TimeSpan.FromMilliseconds(42_500), actions[0].DrillAt);
        Assert.Null(actions[1].Port);
        Assert.Equal([other], await Store.ActionsAsync("s2", CancellationToken.None));
        Assert.Empty(await Store.ActionsAsync("none", CancellationToken.None));
    }

    [Fact]
    public async Task A_quiz_is_posed_once_per_session()
    {
        Assert.True(await Store.AddQuizAsync(Quiz("s1", "q1"), CancellationToken.None));
        Assert.False(await Store.AddQuizAsync(Quiz("s1", "q1") with { AskEn = "posed again" }, CancellationToken.None));
        Assert.True(await Store.AddQuizAsync(Quiz("s2", "q1"), CancellationToken.None));
        var live = new TrainingQuizRow("s1", "live-1", "live", "crac-2", null, "精密空调在哪？", "Where is CRAC 2?", T0.AddMinutes(2), null, TimeSpan.FromSeconds(90), 5, "instructor");
        Assert.True(await Store.AddQuizAsync(live, CancellationToken.None));

        var quizzes = await Store.QuizzesAsync("s1", CancellationToken.None);
        Assert.Equal([Quiz("s1", "q1"), live], quizzes);
        Assert.Single(await Store.QuizzesAsync("s2", CancellationToken.None));
    }

    [Fact]
    public async Task A_trainee_answers_a_quiz_once_a_second_answer_is_refused_and_logs_nothing()
    {
        Assert.True(await Store.AddQuizAsync(Quiz("s1", "q1"), CancellationToken.None));
        var answer = new TrainingQuizAnswerRow("s1", "q1", "trainee1", T0.AddMinutes(2), "ups-1", 3, Correct: true, 61.25, 8);
        var action = new TrainingActionRow(0, "s1", "trainee1", "quizAnswer", T0.AddMinutes(2), "leak-drill", TimeSpan.FromSeconds(121), DeviceId: "ups-1", Port: 3, Ref: "q1");

        Assert.True(await Store.AddAnswerAsync(answer, action, CancellationToken.None));
        Assert.False(await Store.AddAnswerAsync(answer with { DeviceId = "ups-2", Correct = false, Earned = 0 }, action with { DeviceId = "ups-2" }, CancellationToken.None));
        var wrong = new TrainingQuizAnswerRow("s1", "q1", "trainee2", T0.AddMinutes(3), "ups-2", null, Correct: false, 120, 0);
        Assert.True(await Store.AddAnswerAsync(wrong, action with { User = "trainee2", DeviceId = "ups-2", Port = null }, CancellationToken.None));

        Assert.Equal([answer, wrong], await Store.AnswersAsync("s1", CancellationToken.None));
        var logged = await Store.ActionsAsync("s1", CancellationToken.None);
        Assert.Equal(["trainee1", "trainee2"], logged.Select(a => a.User));
        Assert.All(logged, a => Assert.Equal("quizAnswer", a.Kind));
        Assert.Equal("ups-1", logged[0].DeviceId);
    }

    public sealed class Sqlite() : TrainingStoreTests(StoreProvider.Sqlite);

    public sealed class Postgres(PostgresFixture postgres) : TrainingStoreTests(postgres), IClassFixture<PostgresFixture>;
}
