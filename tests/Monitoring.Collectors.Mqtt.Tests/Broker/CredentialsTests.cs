using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

/// <summary>
/// Who may connect, proven with mosquitto's own mosquitto_pub and mosquitto_sub (3.1.1 and 5.0): by default nobody
/// without credentials, a wrong password is refused, the right one is accepted, and anonymous clients only when
/// <see cref="MqttBrokerOptions.AllowAnonymous"/> is set. libmosquitto prints the CONNACK code it got as text:
/// 3.1.1 return code 5 "not authorised" and 4 "bad user name or password", 5.0 reason 0x87 "Not authorized" and 0x86
/// "Bad User Name or Password".
/// </summary>
public class CredentialsTests
{
    private const string V311 = "mqttv311";
    private const string V5 = "mqttv5";
    private const string User = "leak-probe";
    private const string Password = "wet-floor-7Q2x";
    private const string WrongPassword = "dry-floor-guess";

    [Theory]
    [InlineData(V311, "not authorised")]
    [InlineData(V5, "not authorized")]
    public async Task With_default_options_and_no_users_a_client_without_credentials_is_refused(string version, string message)
    {
        await using var h = await BrokerHarness.StartAsync();
        Assert.False(new MqttBrokerOptions().AllowAnonymous);

        var pub = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "anon-pub", "-t", "site/demo/probe/leak-1/state", "-m", "wet"));
        Assert.NotEqual(0, pub.ExitCode);
        Assert.Contains(message, pub.Error, StringComparison.OrdinalIgnoreCase);
        var sub = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, "-i", "anon-sub", "-t", "site/#", "-W", "5"));
        Assert.NotEqual(0, sub.ExitCode);
        Assert.Contains(message, sub.Error, StringComparison.OrdinalIgnoreCase);

        var stats = h.Broker.GetStats();
        Assert.Equal(2, stats.ConnectionsRefused);
        Assert.Equal(0, stats.MessagesIn);
        Assert.Equal(0, stats.Subscriptions);
    }

    [Theory]
    [InlineData(V311, "not authorised")]
    [InlineData(V5, "not authorized")]
    public async Task With_default_options_and_a_user_only_the_right_password_gets_in(string version, string anonymousMessage)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.Users.Add(new MqttBrokerUser { Username = User, Password = Password, Publish = ["site/#"], Subscribe = ["site/#"] }));

        var anonymous = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "anon-pub", "-t", "x", "-m", "1"));
        Assert.NotEqual(0, anonymous.ExitCode);
        Assert.Contains(anonymousMessage, anonymous.Error, StringComparison.OrdinalIgnoreCase);

        var wrong = await MosquittoTool.RunAsync("mosquitto_sub", h.Args(version, "-i", "guessing-sub", "-u", User, "-P", WrongPassword, "-t", "x", "-W", "5"));
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("bad user name or password", wrong.Error, StringComparison.OrdinalIgnoreCase);

        var unknown = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "stranger-pub", "-u", "stranger", "-P", Password, "-t", "x", "-m", "1"));
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("bad user name or password", unknown.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(3, h.Broker.GetStats().ConnectionsRefused);
        Assert.Equal(0, h.Broker.GetStats().MessagesIn);

        // the right password: a subscriber and a publisher both signed in, the message goes through
        using var sub = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-i", "signed-sub", "-u", User, "-P", Password, "-t", "site/#", "-v", "-C", "1", "-W", "15"));
        await h.WaitForAsync(s => s.Subscriptions == 1, "the signed-in subscriber");
        var right = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "signed-pub", "-u", User, "-P", Password, "-t", "site/demo/probe/leak-1/state", "-m", "wet", "-q", "1"));
        Assert.True(right.ExitCode == 0, right.Error);
        await sub.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal("site/demo/probe/leak-1/state wet", sub.Output.Trim());
        Assert.Equal(3, h.Broker.GetStats().ConnectionsRefused);
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task A_refused_client_is_logged_with_its_client_id_and_user_name_and_no_password_is_ever_logged(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.Users.Add(new MqttBrokerUser { Username = User, Password = Password, Publish = ["#"] }));
        await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "guessing-pub", "-u", User, "-P", WrongPassword, "-t", "x", "-m", "1"));
        await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "anon-pub", "-t", "x", "-m", "1"));
        var right = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "signed-pub", "-u", User, "-P", Password, "-t", "x", "-m", "1", "-q", "1"));
        Assert.Equal(0, right.ExitCode);
        await h.Broker.DisposeAsync(); // every connection's log lines are written once it has stopped

        var lines = h.Logger.Lines.ToList();
        Assert.Contains(lines, l => l.Contains("guessing-pub", StringComparison.Ordinal) && l.Contains(User, StringComparison.Ordinal) && l.Contains("bad user name or password", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("anon-pub", StringComparison.Ordinal) && l.Contains("anonymous clients are not allowed", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("signed-pub", StringComparison.Ordinal) && l.Contains("connected", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(Password, StringComparison.Ordinal) || l.Contains(WrongPassword, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(V311)]
    [InlineData(V5)]
    public async Task With_allow_anonymous_set_a_client_without_credentials_publishes_and_subscribes(string version)
    {
        await using var h = await BrokerHarness.StartAsync(o => o.AllowAnonymous = true);
        using var sub = MosquittoTool.Start("mosquitto_sub", h.Args(version, "-i", "anon-sub", "-t", "site/#", "-v", "-C", "1", "-W", "15"));
        await h.WaitForAsync(s => s.Subscriptions == 1, "the anonymous subscriber");
        var pub = await MosquittoTool.RunAsync("mosquitto_pub", h.Args(version, "-i", "anon-pub", "-t", "site/demo/probe/door-1/state", "-m", "open", "-q", "1"));
        Assert.True(pub.ExitCode == 0, pub.Error);
        await sub.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, sub.ExitCode);
        Assert.Equal("site/demo/probe/door-1/state open", sub.Output.Trim());
        Assert.Equal(0, h.Broker.GetStats().ConnectionsRefused);
    }
}
