using MadBase.Edge.Hosting;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>When the idle trim collects: only after two quiet checks, and only when enough garbage is held.</summary>
[Trait("Kind", "InProcess")]
public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void IsQuiet_SecondQuietCheckInARow_True()
    {
        var quiet = 0;

        Assert.False(IdleMemoryTrimmer.IsQuiet(10_000, ref quiet));
        Assert.True(IdleMemoryTrimmer.IsQuiet(10_000, ref quiet));
    }

    [Fact]
    public void IsQuiet_BusyBetweenQuietChecks_StartsCountingAgain()
    {
        var quiet = 0;

        Assert.False(IdleMemoryTrimmer.IsQuiet(10_000, ref quiet));
        Assert.False(IdleMemoryTrimmer.IsQuiet(5 * MiB, ref quiet));
        Assert.False(IdleMemoryTrimmer.IsQuiet(10_000, ref quiet));
        Assert.Equal(1, quiet);
    }

    [Fact]
    public void HoldsGarbage_CommittedFarBeyondTheLiveHeap_True() =>
        Assert.True(IdleMemoryTrimmer.HoldsGarbage(committedBytes: 60 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 0));

    [Fact]
    public void HoldsGarbage_LittleBeyondTheLiveHeap_False() =>
        Assert.False(IdleMemoryTrimmer.HoldsGarbage(committedBytes: 25 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 0));

    [Fact]
    public void HoldsGarbage_FreeSpaceInsideTheHeap_CountsAsReclaimable() =>
        Assert.True(IdleMemoryTrimmer.HoldsGarbage(committedBytes: 25 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 6 * MiB));
}
