using Monitoring.Mqtt.Broker;

namespace Monitoring.Collectors.Mqtt.Tests.Broker;

public class TopicRulesTests
{
    [Theory]
    [InlineData("a/b/c", true)]
    [InlineData("+", true)]
    [InlineData("#", true)]
    [InlineData("a/+/c", true)]
    [InlineData("a/#", true)]
    [InlineData("+/+/#", true)]
    [InlineData("/", true)]
    [InlineData("$share/g/a/+", true)]
    [InlineData("", false)]
    [InlineData("a+", false)]
    [InlineData("a/b#", false)]
    [InlineData("a/#/c", false)]
    [InlineData("#/", false)]
    [InlineData("$share/g", false)]
    [InlineData("$share//a", false)]
    [InlineData("$share/g+/a", false)]
    [InlineData("$share/g/", false)]
    public void Filters_are_validated_as_the_specification_says(string filter, bool valid) =>
        Assert.Equal(valid, TopicRules.IsValidFilter(filter));

    [Theory]
    [InlineData("a/b", true)]
    [InlineData("/", true)]
    [InlineData("", false)]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    public void Topic_names_have_no_wildcards(string topic, bool valid) =>
        Assert.Equal(valid, TopicRules.IsValidTopicName(topic));

    [Theory]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/ranking", true)]
    [InlineData("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true)]
    [InlineData("sport/#", "sport", true)]
    [InlineData("sport/tennis/+", "sport/tennis/player1", true)]
    [InlineData("sport/tennis/+", "sport/tennis/player1/tournament", false)]
    [InlineData("sport/+", "sport", false)]
    [InlineData("sport/+", "sport/", true)]
    [InlineData("+/+", "/finance", true)]
    [InlineData("/+", "/finance", true)]
    [InlineData("+", "/finance", false)]
    [InlineData("#", "$SYS/broker", false)]
    [InlineData("+/monitor/Clients", "$SYS/monitor/Clients", false)]
    [InlineData("$SYS/#", "$SYS/monitor/Clients", true)]
    [InlineData("$SYS/monitor/+", "$SYS/monitor/Clients", true)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/bc", false)]
    [InlineData("a/b", "a", false)]
    public void Filters_match_topics_as_in_the_specification_examples(string filter, string topic, bool matches) =>
        Assert.Equal(matches, TopicRules.Matches(filter, topic));
}
