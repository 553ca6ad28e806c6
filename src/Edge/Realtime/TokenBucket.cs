namespace MadBase.Edge.Realtime;

/// <summary>
/// A per-socket rate limit: <c>rate</c> tokens a second, at most one second's worth saved up (so a client may burst
/// to the rate after a quiet spell, never beyond it). Not thread-safe: each socket's buckets are used under the
/// session's lock.
/// </summary>
internal struct TokenBucket(int ratePerSecond)
{
    private double _tokens = ratePerSecond;
    private long _refilledAt;

    /// <summary>Takes one token; false (nothing taken) when the client is over its rate.</summary>
    public bool TryTake(TimeProvider time)
    {
        var now = time.GetTimestamp();
        if (_refilledAt != 0)
        {
            _tokens = Math.Min(ratePerSecond, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * ratePerSecond));
        }

        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }
}
