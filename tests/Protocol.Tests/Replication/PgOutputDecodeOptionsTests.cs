using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class PgOutputDecodeOptionsTests
{
    [Theory]
    [InlineData(0, (int)PgOutputStreamingMode.Off)]
    [InlineData(5, (int)PgOutputStreamingMode.Off)]
    [InlineData(1, (int)PgOutputStreamingMode.On)]
    [InlineData(3, (int)PgOutputStreamingMode.Parallel)]
    [InlineData(4, 7)]
    public void Validate_CombinationTheServerRefuses_ThrowsArgumentOutOfRange(int version, int streaming) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PgOutputDecodeOptions(version, (PgOutputStreamingMode)streaming).Validate());

    [Theory]
    [InlineData(1, (int)PgOutputStreamingMode.Off)]
    [InlineData(2, (int)PgOutputStreamingMode.On)]
    [InlineData(4, (int)PgOutputStreamingMode.Parallel)]
    public void Validate_SupportedCombination_DoesNotThrow(int version, int streaming) =>
        new PgOutputDecodeOptions(version, (PgOutputStreamingMode)streaming).Validate();

    [Fact]
    public void Constructor_DefaultOptions_ThrowsArgumentOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PgOutputDecoder(default, new RelationCache()));
}
