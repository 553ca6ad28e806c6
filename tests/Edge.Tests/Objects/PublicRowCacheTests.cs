using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.Objects;

/// <summary>
/// The public-row cache in process: an answer is served for its lifetime, never when a write committed while it was
/// being read, never after a write committed through this node, and the cache stays bounded.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class PublicRowCacheTests
{
    private static readonly ObjectRecord s_row = new(
        Guid.NewGuid(), "pics", "a.png", null, null, "v1", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, null);

    [Fact]
    public void TryGet_WithinTheLifetime_ServesTheAnswer_AfterIt_AsksAgain()
    {
        var time = new ManualTime();
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), time);
        cache.Add("pics", "a.png", (true, s_row), cache.Generation);

        time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.True(cache.TryGet("pics", "a.png", out var held, out _));
        Assert.Equal((true, s_row), held);
        Assert.False(cache.TryGet("pics", "b.png", out _, out _));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryGet("pics", "a.png", out _, out _));
    }

    [Fact]
    public void TryGet_PastTheRefreshPoint_StillServes_AndTellsOneReaderToReadItAgain()
    {
        var time = new ManualTime();
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), time);
        cache.Add("pics", "a.png", (true, s_row), cache.Generation);

        time.Advance(TimeSpan.FromMilliseconds(499));
        Assert.True(cache.TryGet("pics", "a.png", out _, out var early));
        Assert.False(early);

        time.Advance(TimeSpan.FromMilliseconds(1)); // RefreshAt of the lifetime
        Assert.True(cache.TryGet("pics", "a.png", out var held, out var first));
        Assert.Equal((true, s_row), held);
        Assert.True(first);
        Assert.True(cache.TryGet("pics", "a.png", out _, out var second));
        Assert.False(second); // one reader per answer reads it again

        var newer = s_row with { Version = "v2" };
        time.Advance(TimeSpan.FromMilliseconds(400));
        cache.Add("pics", "a.png", (true, newer), cache.Generation); // the refresh's answer
        time.Advance(TimeSpan.FromMilliseconds(200)); // past the first answer's lifetime, before the new one's refresh point
        Assert.True(cache.TryGet("pics", "a.png", out var fresh, out var again));
        Assert.Equal((true, newer), fresh);
        Assert.False(again);
    }

    [Fact]
    public void TryGet_PastTheLifetime_MissesAlthoughNoRefreshCameBack()
    {
        var time = new ManualTime();
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), time);
        cache.Add("pics", "a.png", (true, s_row), cache.Generation);
        time.Advance(TimeSpan.FromMilliseconds(800));
        Assert.True(cache.TryGet("pics", "a.png", out _, out var refresh));
        Assert.True(refresh); // ... and that refresh failed: nothing replaced the answer

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(cache.TryGet("pics", "a.png", out _, out _));
    }

    [Fact]
    public void Add_ReadBeforeAWriteCommitted_IsNotServed()
    {
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), new ManualTime());
        var generation = cache.Generation; // the query starts
        cache.Invalidate();                // a write commits meanwhile
        cache.Add("pics", "a.png", (true, s_row), generation);

        Assert.False(cache.TryGet("pics", "a.png", out _, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Invalidate_DropsEveryAnswerHeld_AlsoNegativeOnes()
    {
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), new ManualTime());
        cache.Add("pics", "a.png", (true, s_row), cache.Generation);
        cache.Add("pics", "missing.png", (true, null), cache.Generation);
        cache.Add("private", "a.png", (false, null), cache.Generation);
        Assert.True(cache.TryGet("private", "a.png", out var hidden, out _));
        Assert.Equal((false, (ObjectRecord?)null), hidden);

        cache.Invalidate();

        Assert.False(cache.TryGet("pics", "a.png", out _, out _));
        Assert.False(cache.TryGet("pics", "missing.png", out _, out _));
        Assert.False(cache.TryGet("private", "a.png", out _, out _));
    }

    [Fact]
    public void Add_ZeroLifetime_HoldsNothing()
    {
        var cache = new PublicRowCache(TimeSpan.Zero, new ManualTime());
        cache.Add("pics", "a.png", (true, s_row), cache.Generation);
        Assert.False(cache.TryGet("pics", "a.png", out _, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Add_PastMaxEntries_StaysBounded()
    {
        var cache = new PublicRowCache(TimeSpan.FromSeconds(1), new ManualTime());
        for (var i = 0; i < PublicRowCache.MaxEntries * 3; i++)
        {
            cache.Add("pics", "n" + i, (true, null), cache.Generation);
            Assert.InRange(cache.Count, 1, PublicRowCache.MaxEntries);
        }

        Assert.True(cache.TryGet("pics", "n" + (PublicRowCache.MaxEntries * 3 - 1), out _, out _));
    }
}
