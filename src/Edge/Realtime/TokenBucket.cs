namespace MadBase.Edge.Realtime;

/// <summary>
/// A per-socket rate limit: <c>rate</c> tokens a second, at most one second's worth saved up (so a client may burst
/// to the rate after a quiet spell, never beyond it). Counts messages (one token each) or bytes (a token per byte).
/// Not thread-safe: each socket's buckets are used under the session's lock.
/// </summary>
/// <remarks>
/// A take larger than one second's worth is admitted only from a full bucket and leaves it in debt, so a single
/// message bigger than the per-second budget still passes — once, after a quiet second — and the sender then waits
/// it off; over any longer span the rate holds.
/// </remarks>
internal struct TokenBucket(int ratePerSecond)
{
    private double _tokens = ratePerSecond;
    private long _refilledAt;

    /// <summary>Takes one token; false (nothing taken) when the client is over its rate.</summary>
    public bool TryTake(TimeProvider time) => TryTake(time, 1);

    /// <summary>Takes <paramref name="count"/> tokens; false (nothing taken) when the client is over its rate.</summary>
    public bool TryTake(TimeProvider time, int count)
    {
        var now = time.GetTimestamp();
        if (_refilledAt != 0)
        {
            _tokens = Math.Min(ratePerSecond, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * ratePerSecond));
        }

        _refilledAt = now;
        if (_tokens < Math.Min(count, ratePerSecond))
        {
            return false;
        }

        _tokens -= count;
        return true;
    }
}
