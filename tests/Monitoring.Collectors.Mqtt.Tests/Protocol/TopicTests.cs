using Monitoring.Collectors.Mqtt.Protocol;

namespace Monitoring.Collectors.Mqtt.Tests.Protocol;

public class TopicTests
{
    [Theory]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/ranking", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true)]
    [InlineData("sport/#", "sport", true)]
    [InlineData("#", "sport/tennis", true)]
    [InlineData("sport/tennis/+", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/+", "sport/tennis/player1/ranking", false)]
    [InlineData("sport/+", "sport", false)]
    [InlineData("sport/+", "sport/", true)]
    [InlineData("+/+", "/finance", true)]
    [InlineData("/+", "/finance", true)]
    [InlineData("+", "/finance", false)]
    [InlineData("+/monitor/Clients", "$SYS/monitor/Clients", false)]
    [InlineData("#", "$SYS/broker/uptime", false)]
    [InlineData("$SYS/#", "$SYS/broker/uptime", true)]
    [InlineData("$SYS/monitor/+", "$SYS/monitor/Clients", true)]
    [InlineData("site/+/probe/+/state", "site/a1/probe/leak-3/state", true)]
    [InlineData("site/+/probe/+/state", "site/a1/probe/leak-3/battery", false)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/B", false)]
    [InlineData("a/b", "a/b/c", false)]
    [InlineData("a/b/c", "a/b", false)]
    [InlineData("a//b", "a//b", true)]
    [InlineData("a/+/b", "a//b", true)]
    public void Filters_match_topics_as_the_specification_examples_say(string filter, string topic, bool matches)
    {
        Assert.Equal(matches, MqttTopic.Matches(filter, topic));
    }

    [Theory]
    [InlineData("sport/tennis/#", true)]
    [InlineData("#", true)]
    [InlineData("+", true)]
    [InlineData("+/tennis/#", true)]
    [InlineData("sport/+/player1", true)]
    [InlineData("/", true)]
    [InlineData("sport/tennis#", false)]
    [InlineData("sport/tennis/#/ranking", false)]
    [InlineData("sport+", false)]
    [InlineData("sport/+x", false)]
    [InlineData("", false)]
    [InlineData("a\0b", false)]
    [InlineData("$share/group/site/#", true)]
    [InlineData("$share/group/#", true)]
    [InlineData("$share//site/#", false)]
    [InlineData("$share/gr+oup/site/#", false)]
    [InlineData("$share/group", false)]
    [InlineData("$share/group/", false)]
    public void Topic_filters_are_validated(string filter, bool valid)
    {
        Assert.Equal(valid, MqttTopic.IsValidTopicFilter(filter));
    }

    [Theory]
    [InlineData("a/b", true)]
    [InlineData("/", true)]
    [InlineData("机房/A1", true)]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    [InlineData("", false)]
    [InlineData("a\0", false)]
    public void Topic_names_are_validated(string topic, bool valid)
    {
        Assert.Equal(valid, MqttTopic.IsValidTopicName(topic));
    }

    [Fact]
    public void Shared_subscriptions_split_into_share_name_and_filter()
    {
        Assert.True(MqttTopic.TryParseShared("$share/servers/site/+/probe/#", out var share, out var filter));
        Assert.Equal("servers", share);
        Assert.Equal("site/+/probe/#", filter);
        Assert.True(MqttTopic.Matches(filter, "site/a/probe/x"));
        Assert.False(MqttTopic.TryParseShared("site/+/probe/#", out _, out _));
    }

    [Fact]
    public void A_string_of_65535_bytes_is_allowed_and_one_more_is_not()
    {
        Assert.True(MqttUtf8.IsValid(new string('a', 65_535)));
        Assert.False(MqttUtf8.IsValid(new string('a', 65_536)));
        Assert.False(MqttUtf8.IsValid(new string('机', 21_846))); // 65,538 bytes
    }
}
