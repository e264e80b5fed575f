using System.Collections.Concurrent;

namespace Monitoring.Mqtt.Broker;

/// <summary>The last retained message per topic. An empty payload deletes the topic's retained message.</summary>
internal sealed class RetainedStore
{
    private readonly ConcurrentDictionary<string, BrokerMessage> _messages = new(StringComparer.Ordinal);

    public int Count => _messages.Count;

    public void Set(BrokerMessage message)
    {
        if (message.Payload.IsEmpty)
        {
            _messages.TryRemove(message.Topic, out _);
        }
        else
        {
            _messages[message.Topic] = message.WithRetain(true);
        }
    }

    /// <summary>Retained messages whose topic matches a (non-shared) filter.</summary>
    public void Match(string filter, List<BrokerMessage> output)
    {
        if (filter.AsSpan().IndexOfAny('+', '#') < 0)
        {
            if (_messages.TryGetValue(filter, out var exact))
            {
                output.Add(exact);
            }

            return;
        }

        foreach (var (topic, message) in _messages)
        {
            if (TopicRules.Matches(filter, topic))
            {
                output.Add(message);
            }
        }
    }
}
