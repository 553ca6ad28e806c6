using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusNumericHeadersTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("6291456", 6291456L)]
    [InlineData("13631611", 13631611L)]
    [InlineData("007", 7L)] // leading zeros: allowed by 1*DIGIT
    [InlineData("0000000000000000000000000001", 1L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void ParseUploadOffset_Decimal_ReturnsValue(string value, long expected) =>
        Assert.Equal(expected, TusNumericHeaders.ParseUploadOffset(value));

    [Theory]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1 2")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("9223372036854775808")] // long.MaxValue + 1
    [InlineData("99999999999999999999")]
    [InlineData("١٢٣")] // Arabic-Indic digits are not DIGIT
    public void ParseUploadOffset_Malformed_ThrowsInvalidUploadOffset(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadOffset, () => TusNumericHeaders.ParseUploadOffset(value));

    [Fact]
    public void ParseUploadLength_Decimal_ReturnsValue() =>
        Assert.Equal(13631611L, TusNumericHeaders.ParseUploadLength("13631611"));

    [Theory]
    [InlineData("")]
    [InlineData("-0")]
    [InlineData("12a")]
    [InlineData("9223372036854775808")]
    public void ParseUploadLength_Malformed_ThrowsInvalidUploadLength(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadLength, () => TusNumericHeaders.ParseUploadLength(value));

    [Fact]
    public void ValidateUploadDeferLength_One_Accepts() => TusNumericHeaders.ValidateUploadDeferLength("1");

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("01")]
    [InlineData("true")]
    [InlineData("1 ")]
    public void ValidateUploadDeferLength_OtherValue_ThrowsInvalidUploadDeferLength(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadDeferLength, () => TusNumericHeaders.ValidateUploadDeferLength(value));

    [Theory]
    [InlineData(0L, "0")]
    [InlineData(6291456L, "6291456")]
    [InlineData(long.MaxValue, "9223372036854775807")]
    public void Format_NonNegative_WritesDecimal(long value, string expected)
    {
        Assert.Equal(expected, TusNumericHeaders.Format(value));
        Span<char> buffer = stackalloc char[TusNumericHeaders.MaxFormattedLength];
        Assert.True(TusNumericHeaders.TryFormat(value, buffer, out var written));
        Assert.Equal(expected, buffer[..written].ToString());
    }

    [Fact]
    public void TryFormat_ShortBuffer_ReturnsFalse() =>
        Assert.False(TusNumericHeaders.TryFormat(123, new char[2], out _));

    [Fact]
    public void Format_Negative_ThrowsArgumentOutOfRange() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TusNumericHeaders.Format(-1));

    [Fact]
    public void ParseUploadLength_FormattedValue_RoundTrips() =>
        Gen.Long[0, long.MaxValue].Sample(v => TusNumericHeaders.ParseUploadLength(TusNumericHeaders.Format(v)) == v);
}
