using System.Text;
using Monitoring.Collectors.Mqtt.Probes;

namespace Monitoring.Collectors.Mqtt.Tests.Probes;

public sealed class TopicPatternTests
{
    private static TopicPattern Compile(string text) => TopicPattern.TryCompile(text, out var error) ?? throw new InvalidOperationException(error);

    [Fact]
    public void A_pattern_captures_its_named_levels_and_subscribes_with_plus()
    {
        var pattern = Compile("site/{room}/probe/{probe}/state");
        Assert.Equal("site/+/probe/+/state", pattern.SubscriptionFilter);
        Assert.Equal(["room", "probe"], pattern.CaptureNames);

        var topic = "site/demo/probe/leak-1/state"u8;
        Span<Range> captures = stackalloc Range[TopicPattern.MaxCaptures];
        Assert.True(pattern.TryMatch(topic, captures));
        Assert.Equal("demo", Encoding.UTF8.GetString(topic[captures[0]]));
        Assert.Equal("leak-1", Encoding.UTF8.GetString(topic[captures[1]]));
    }

    [Theory]
    [InlineData("site/demo/probe/leak-1/status")] // last literal differs
    [InlineData("site/demo/probe/leak-1")] // a level short
    [InlineData("site/demo/probe/leak-1/state/x")] // a level long
    [InlineData("site//probe/leak-1/state")] // an empty capture
    [InlineData("site/demo/probe/leak-1/state/")] // a trailing empty level
    [InlineData("Site/demo/probe/leak-1/state")] // topics are case-sensitive
    [InlineData("")]
    public void Topics_that_differ_in_any_level_do_not_match(string topic)
    {
        var pattern = Compile("site/{room}/probe/{probe}/state");
        Span<Range> captures = stackalloc Range[TopicPattern.MaxCaptures];
        Assert.False(pattern.TryMatch(Encoding.UTF8.GetBytes(topic), captures));
    }

    [Fact]
    public void Plus_matches_any_one_level_without_capturing_and_literals_can_be_unicode()
    {
        var pattern = Compile("机房/+/{id}");
        Assert.Equal("机房/+/+", pattern.SubscriptionFilter);
        Span<Range> captures = stackalloc Range[TopicPattern.MaxCaptures];
        var topic = Encoding.UTF8.GetBytes("机房/三楼/door-1");
        Assert.True(pattern.TryMatch(topic, captures));
        Assert.Equal("door-1", Encoding.UTF8.GetString(topic.AsSpan()[captures[0]]));
        Assert.False(pattern.TryMatch(Encoding.UTF8.GetBytes("机房/door-1"), captures));
    }

    [Theory]
    [InlineData("site/#", "'#'")]
    [InlineData("site/a+b", "wildcard")]
    [InlineData("site/{a}/{a}", "twice")]
    [InlineData("site/x{a}", "whole level")]
    [InlineData("$SYS/broker", "'$'")]
    [InlineData("site/{}", "letters")]
    [InlineData("", "empty")]
    public void Invalid_patterns_are_refused_with_a_reason(string text, string reason)
    {
        Assert.Null(TopicPattern.TryCompile(text, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
