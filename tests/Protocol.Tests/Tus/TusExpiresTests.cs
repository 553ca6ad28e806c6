using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusExpiresTests
{
    [Fact]
    public void Format_Utc_WritesImfFixdate() =>
        Assert.Equal("Wed, 25 Jun 2025 16:00:00 GMT", TusExpires.Format(new DateTimeOffset(2025, 6, 25, 16, 0, 0, TimeSpan.Zero)));

    [Fact]
    public void Format_OffsetAndFraction_ConvertsToUtcAndTruncates() =>
        Assert.Equal(
            "Tue, 24 Nov 2026 02:23:11 GMT",
            TusExpires.Format(new DateTimeOffset(2026, 11, 24, 4, 23, 11, 999, TimeSpan.FromHours(2))));

    [Fact]
    public void TryFormat_ExactBuffer_Writes29Chars()
    {
        Span<char> buffer = stackalloc char[TusExpires.Length];
        Assert.True(TusExpires.TryFormat(new DateTimeOffset(2025, 6, 25, 16, 0, 0, TimeSpan.Zero), buffer, out var written));
        Assert.Equal(TusExpires.Length, written);
        Assert.False(TusExpires.TryFormat(DateTimeOffset.UnixEpoch, new char[TusExpires.Length - 1], out _));
    }

    [Theory]
    [InlineData("Wed, 25 Jun 2025 16:00:00 GMT", 2025, 6, 25, 16, 0, 0)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 1994, 11, 6, 8, 49, 37)] // RFC 9110's example
    [InlineData("Thu, 29 Feb 2024 23:59:59 GMT", 2024, 2, 29, 23, 59, 59)]
    [InlineData("Mon, 01 Jan 0001 00:00:00 GMT", 1, 1, 1, 0, 0, 0)]
    [InlineData("Fri, 31 Dec 9999 23:59:59 GMT", 9999, 12, 31, 23, 59, 59)]
    public void Parse_ImfFixdate_ReturnsUtcInstant(string value, int y, int mo, int d, int h, int mi, int s)
    {
        var parsed = TusExpires.Parse(value);

        Assert.Equal(new DateTimeOffset(y, mo, d, h, mi, s, TimeSpan.Zero), parsed);
        Assert.Equal(TimeSpan.Zero, parsed.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")] // RFC 850 (obsolete)
    [InlineData("Sun Nov  6 08:49:37 1994")] // asctime (obsolete)
    [InlineData("Mon, 06 Nov 1994 08:49:37 GMT")] // wrong day name
    [InlineData("sun, 06 Nov 1994 08:49:37 GMT")] // names are case-sensitive
    [InlineData("Sun, 06 nov 1994 08:49:37 GMT")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 gmt")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 UTC")]
    [InlineData("Sun, 06 Nov 1994 08:49:37 +0000")]
    [InlineData("Sun, 6 Nov 1994 08:49:37 GMT")] // day must be 2 digits
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT ")]
    [InlineData(" Sun, 06 Nov 1994 08:49:37 GMT")]
    [InlineData("Sun,06 Nov 1994 08:49:37 GMT ")]
    [InlineData("Fri, 29 Feb 2023 00:00:00 GMT")] // not a leap year
    [InlineData("Thu, 31 Apr 2025 00:00:00 GMT")]
    [InlineData("Wed, 25 Jun 2025 24:00:00 GMT")]
    [InlineData("Wed, 25 Jun 2025 16:60:00 GMT")]
    [InlineData("Wed, 25 Jun 2025 16:00:60 GMT")] // leap second not representable
    [InlineData("Wed, 00 Jun 2025 16:00:00 GMT")]
    [InlineData("Sat, 01 Jan 0000 00:00:00 GMT")]
    [InlineData("Wed, 25 Jun 2025 16:0a:00 GMT")]
    [InlineData("Wed, 25 Jun 2025 16-00-00 GMT")]
    [InlineData("Wed, +5 Jun 2025 16:00:00 GMT")]
    public void Parse_Malformed_ThrowsInvalidUploadExpires(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadExpires, () => TusExpires.Parse(value));

    [Fact]
    public void Parse_FormattedInstant_RoundTripsToTheSecond()
    {
        var min = DateTimeOffset.MinValue.ToUnixTimeSeconds();
        var max = DateTimeOffset.MaxValue.ToUnixTimeSeconds();
        Gen.Long[min, max].Sample(seconds =>
        {
            var instant = DateTimeOffset.FromUnixTimeSeconds(seconds);
            Assert.Equal(instant, TusExpires.Parse(TusExpires.Format(instant)));
        });
    }
}
