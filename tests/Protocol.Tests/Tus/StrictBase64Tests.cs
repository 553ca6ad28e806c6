using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class StrictBase64Tests
{
    [Theory]
    [InlineData("", new byte[0])]
    [InlineData("YQ==", new byte[] { 0x61 })]
    [InlineData("YWI=", new byte[] { 0x61, 0x62 })]
    [InlineData("YWJj", new byte[] { 0x61, 0x62, 0x63 })]
    [InlineData("+/8=", new byte[] { 0xFB, 0xFF })]
    public void TryDecodePadded_Canonical_ReturnsBytes(string text, byte[] expected)
    {
        Assert.True(StrictBase64.TryDecodePadded(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("Y")]
    [InlineData("YQ")]
    [InlineData("YQ=")]
    [InlineData("YQ===")]
    [InlineData("Y===")]
    [InlineData("====")]
    [InlineData("YR==")] // pad bits set
    [InlineData("YWJ=")] // pad bits set
    [InlineData("YW=j")]
    [InlineData("YW J")]
    [InlineData("YWJj\n")]
    [InlineData("-_8=")]
    public void TryDecodePadded_NonCanonical_ReturnsFalse(string text) =>
        Assert.False(StrictBase64.TryDecodePadded(text, out _));

    [Theory]
    [InlineData("", new byte[0])]
    [InlineData("YQ", new byte[] { 0x61 })]
    [InlineData("YWI", new byte[] { 0x61, 0x62 })]
    [InlineData("-_8", new byte[] { 0xFB, 0xFF })]
    public void TryDecodeUrlUnpadded_Canonical_ReturnsBytes(string text, byte[] expected)
    {
        Assert.True(StrictBase64.TryDecodeUrlUnpadded(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("Y")]
    [InlineData("YQ==")]
    [InlineData("YR")]
    [InlineData("YWJ")]
    [InlineData("+/8")]
    [InlineData("YW J")]
    public void TryDecodeUrlUnpadded_NonCanonical_ReturnsFalse(string text) =>
        Assert.False(StrictBase64.TryDecodeUrlUnpadded(text, out _));

    [Fact]
    public void TryDecode_BclEncodings_RoundTrip() =>
        Gen.Byte.Array[0, 100].Sample(bytes =>
            StrictBase64.TryDecodePadded(Convert.ToBase64String(bytes), out var padded) && padded.AsSpan().SequenceEqual(bytes)
            && StrictBase64.TryDecodeUrlUnpadded(System.Buffers.Text.Base64Url.EncodeToString(bytes), out var url) && url.AsSpan().SequenceEqual(bytes));
}
