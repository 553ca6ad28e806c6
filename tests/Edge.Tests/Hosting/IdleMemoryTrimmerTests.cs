using MadBase.Edge.Hosting;

namespace MadBase.Edge.Tests.Hosting;

/// <summary>When the idle trim collects: only after two quiet checks, and only when enough garbage is held.</summary>
public sealed class IdleMemoryTrimmerTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void ShouldTrim_TwoQuietChecksWithGarbageHeld_Trims()
    {
        var quiet = 0;

        Assert.False(IdleMemoryTrimmer.ShouldTrim(10_000, ref quiet, committedBytes: 60 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 0));
        Assert.True(IdleMemoryTrimmer.ShouldTrim(10_000, ref quiet, committedBytes: 60 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 0));
    }

    [Fact]
    public void ShouldTrim_BusyBetweenQuietChecks_StartsCountingAgain()
    {
        var quiet = 0;

        Assert.False(IdleMemoryTrimmer.ShouldTrim(10_000, ref quiet, 60 * MiB, 20 * MiB, 0));
        Assert.False(IdleMemoryTrimmer.ShouldTrim(5 * MiB, ref quiet, 60 * MiB, 20 * MiB, 0));
        Assert.False(IdleMemoryTrimmer.ShouldTrim(10_000, ref quiet, 60 * MiB, 20 * MiB, 0));
        Assert.Equal(1, quiet);
    }

    [Fact]
    public void ShouldTrim_QuietButLittleBeyondTheLiveHeap_LeavesItAlone()
    {
        var quiet = 1;

        Assert.False(IdleMemoryTrimmer.ShouldTrim(0, ref quiet, committedBytes: 25 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 0));
    }

    [Fact]
    public void ShouldTrim_FreeSpaceInsideTheHeap_CountsAsReclaimable()
    {
        var quiet = 1;

        Assert.True(IdleMemoryTrimmer.ShouldTrim(0, ref quiet, committedBytes: 25 * MiB, heapSizeBytes: 20 * MiB, fragmentedBytes: 6 * MiB));
    }
}
