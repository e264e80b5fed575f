namespace Monitoring.Collectors.Mqtt.Client;

/// <summary>
/// Counts QoS 1/2 publishes in flight against a limit that can change at each connect (the broker's Receive Maximum).
/// Waiters are served first come, first served.
/// </summary>
internal sealed class InFlightWindow
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiters = new();
    private int _limit;
    private int _inUse;

    public InFlightWindow(int limit)
    {
        _limit = Math.Max(1, limit);
    }

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    public void SetLimit(int limit)
    {
        lock (_lock)
        {
            _limit = Math.Max(1, limit);
            ReleaseWaitersLocked();
        }
    }

    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_inUse < _limit && _waiters.Count == 0)
            {
                _inUse++;
                return ValueTask.CompletedTask;
            }

            node = _waiters.AddLast(new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        }

        return new ValueTask(WaitSlowAsync(node, cancellationToken));
    }

    public void Release()
    {
        lock (_lock)
        {
            _inUse--;
            ReleaseWaitersLocked();
        }
    }

    private async Task WaitSlowAsync(LinkedListNode<TaskCompletionSource> node, CancellationToken cancellationToken)
    {
        try
        {
            await node.Value.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiters.Remove(node);
                    throw;
                }
            }

            // Granted just as it was cancelled: give the slot back.
            Release();
            throw;
        }
    }

    private void ReleaseWaitersLocked()
    {
        while (_inUse < _limit && _waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _inUse++;
            first.Value.TrySetResult();
        }
    }
}
