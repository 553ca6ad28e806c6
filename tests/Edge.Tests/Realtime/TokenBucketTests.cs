using MadBase.Edge.Realtime;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The per-socket rate limit: a second's worth of burst, refilled at the rate, never saved beyond it.</summary>
[Trait("Kind", "InProcess")]
public sealed class TokenBucketTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public void TryTake_FullBucket_AllowsTheRateThenRefuses()
    {
        var bucket = new TokenBucket(5);

        Assert.Equal(5, TakeAll(ref bucket));
        Assert.False(bucket.TryTake(_time));
    }

    [Fact]
    public void TryTake_AfterEmpty_RefillsAtTheRate()
    {
        var bucket = new TokenBucket(10);
        TakeAll(ref bucket);

        _time.Advance(TimeSpan.FromMilliseconds(250)); // 2.5 tokens
        Assert.Equal(2, TakeAll(ref bucket));

        _time.Advance(TimeSpan.FromMilliseconds(100)); // the half token left over plus one
        Assert.True(bucket.TryTake(_time));
        Assert.False(bucket.TryTake(_time));
    }

    [Fact]
    public void TryTake_LongQuiet_SavesAtMostOneSecond()
    {
        var bucket = new TokenBucket(3);
        TakeAll(ref bucket);

        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(3, TakeAll(ref bucket));
    }

    [Fact]
    public void TryTake_Refused_TakesNothing()
    {
        var bucket = new TokenBucket(2);
        TakeAll(ref bucket);
        for (var i = 0; i < 100; i++)
        {
            Assert.False(bucket.TryTake(_time)); // refusals do not dig a hole the client must refill
        }

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(bucket.TryTake(_time));
    }

    private int TakeAll(ref TokenBucket bucket)
    {
        var taken = 0;
        while (taken < 1000 && bucket.TryTake(_time))
        {
            taken++;
        }

        return taken;
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = TimeSpan.TicksPerDay;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
