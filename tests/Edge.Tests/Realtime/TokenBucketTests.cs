namespace MadBase.Edge.Tests.Realtime;

/// <summary>The per-socket rate buckets: messages (one token each) and bytes (a token per byte).</summary>
[Trait("Kind", "InProcess")]
public sealed class TokenBucketTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void TryTake_Bytes_UpToOneSecondsWorthThenRefused()
    {
        var bucket = new TokenBucket(1000);

        Assert.True(bucket.TryTake(_time, 600));
        Assert.True(bucket.TryTake(_time, 400));
        Assert.False(bucket.TryTake(_time, 1));
    }

    [Fact]
    public void TryTake_Refused_TakesNothing()
    {
        var bucket = new TokenBucket(1000);
        Assert.True(bucket.TryTake(_time, 900));

        Assert.False(bucket.TryTake(_time, 200)); // only 100 left: refused, and the 100 stay
        Assert.True(bucket.TryTake(_time, 100));
    }

    [Fact]
    public void TryTake_Refills_AtTheRateButNeverBeyondOneSecond()
    {
        var bucket = new TokenBucket(1000);
        Assert.True(bucket.TryTake(_time, 1000));

        _time.Advance(TimeSpan.FromMilliseconds(250));
        Assert.False(bucket.TryTake(_time, 300));
        Assert.True(bucket.TryTake(_time, 250));

        _time.Advance(TimeSpan.FromSeconds(10)); // a long quiet spell saves up one second's worth, no more
        Assert.True(bucket.TryTake(_time, 1000));
        Assert.False(bucket.TryTake(_time, 1));
    }

    [Fact]
    public void TryTake_LargerThanOneSecond_PassesFromAFullBucketThenWaitsOffTheDebt()
    {
        var bucket = new TokenBucket(1000);
        Assert.True(bucket.TryTake(_time, 1));
        Assert.False(bucket.TryTake(_time, 3000)); // not full: refused

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(bucket.TryTake(_time, 3000)); // full: admitted, 2000 in debt

        _time.Advance(TimeSpan.FromSeconds(2.5));
        Assert.False(bucket.TryTake(_time, 600)); // 500 back
        Assert.True(bucket.TryTake(_time, 500));
    }

    [Fact]
    public void TryTake_Messages_OnePerToken()
    {
        var bucket = new TokenBucket(3);

        Assert.True(bucket.TryTake(_time));
        Assert.True(bucket.TryTake(_time));
        Assert.True(bucket.TryTake(_time));
        Assert.False(bucket.TryTake(_time));
    }

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
