using MadBase.Edge.Objects;

namespace MadBase.Edge.Tests.Objects;

/// <summary>The multipart part math: sizes, the last part, and S3's 10,000-part limit.</summary>
[Trait("Kind", "InProcess")]
public sealed class PartLayoutTests
{
    private const long MiB = 1024 * 1024;

    [Fact]
    public void Exact_LengthNotAMultiple_LastPartHoldsTheRest()
    {
        var layout = PartLayout.Exact(17 * MiB, 5 * MiB)!.Value;

        Assert.Equal(4, layout.Count);
        Assert.Equal([5 * MiB, 5 * MiB, 5 * MiB, 2 * MiB], Enumerable.Range(1, 4).Select(layout.LengthOf));
        Assert.Equal([0, 5 * MiB, 10 * MiB, 15 * MiB], Enumerable.Range(1, 4).Select(layout.StartOf));
    }

    [Fact]
    public void Exact_LengthAMultiple_LastPartIsWhole()
    {
        var layout = PartLayout.Exact(10 * MiB, 5 * MiB)!.Value;

        Assert.Equal(2, layout.Count);
        Assert.Equal(5 * MiB, layout.LengthOf(2));
    }

    [Fact]
    public void Exact_TenThousandPartsFit_OneByteMoreDoesNot()
    {
        var partSize = 5 * MiB;

        Assert.Equal(PartLayout.MaxParts, PartLayout.Exact(PartLayout.MaxParts * partSize, partSize)!.Value.Count);
        Assert.Null(PartLayout.Exact((PartLayout.MaxParts * partSize) + 1, partSize));
    }

    [Fact]
    public void Fitted_ConfiguredSizeFits_KeepsIt()
    {
        var layout = PartLayout.Fitted(100 * MiB, 8 * MiB);

        Assert.Equal(8 * MiB, layout.PartSize);
        Assert.Equal(13, layout.Count);
        Assert.Equal(4 * MiB, layout.LengthOf(13));
    }

    [Theory]
    [InlineData(100L * 1024 * MiB, 8 * MiB, 11 * MiB)] // 100 GiB needs 10.24 MiB parts: the next whole MiB
    [InlineData((10_000 * 5 * MiB) + 1, 5 * MiB, 6 * MiB)] // one byte over the limit
    [InlineData(5L * 1024 * 1024 * MiB, 5 * MiB, 525 * MiB)] // S3's largest object, 5 TiB
    public void Fitted_TooManyParts_GrowsToTheNextWholeMiBWithinTheLimit(long length, long configured, long expected)
    {
        var layout = PartLayout.Fitted(length, configured);

        Assert.Equal(expected, layout.PartSize);
        Assert.True(layout.Count <= PartLayout.MaxParts, $"{layout.Count} parts");
        Assert.True(layout.LengthOf(layout.Count) is > 0 and var last && last <= layout.PartSize);
        Assert.Equal(length, layout.StartOf(layout.Count) + layout.LengthOf(layout.Count));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData((5 * MiB) - 1, 0)]
    [InlineData(5 * MiB, 1)]
    [InlineData((11 * MiB) + 3, 2)]
    [InlineData(17 * MiB, 4)] // the whole body: every part, the short last one too
    [InlineData(20 * MiB, 4)]
    public void WholePartsBelow_Offset_CountsOnlyCompleteParts(long offset, int expected)
    {
        var layout = PartLayout.Exact(17 * MiB, 5 * MiB)!.Value;

        Assert.Equal(expected, layout.WholePartsBelow(offset));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void LengthOf_PartNumberOutsideTheLayout_Throws(int partNumber)
    {
        var layout = PartLayout.Exact(17 * MiB, 5 * MiB)!.Value;

        Assert.Throws<ArgumentOutOfRangeException>(() => layout.LengthOf(partNumber));
    }

    [Fact]
    public void EnsureWithinLimit_PartBeyondTenThousand_IsEntityTooLarge()
    {
        PartLayout.EnsureWithinLimit(PartLayout.MaxParts);

        var error = Assert.Throws<StorageException>(() => PartLayout.EnsureWithinLimit(PartLayout.MaxParts + 1));
        Assert.Equal(413, error.Status);
    }
}
