using System.Security.Cryptography;
using System.Text;
using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusChecksumTests
{
    // sha1("hello") = aaf4c61d dcc5e8a2 dabede0f 3b482cd9 aea9434d
    private const string Sha1Hello = "sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=";

    [Fact]
    public void Parse_Sha1_ReturnsAlgorithmAndDigest()
    {
        var checksum = TusChecksum.Parse(Sha1Hello);

        Assert.Equal(TusChecksumAlgorithm.Sha1, checksum.Algorithm);
        Assert.True(checksum.Matches(SHA1.HashData("hello"u8)));
        Assert.False(checksum.Matches(SHA1.HashData("hellO"u8)));
        Assert.Equal(Sha1Hello, checksum.Format());
    }

    [Fact]
    public void Parse_Md5_ReturnsAlgorithmAndDigest()
    {
        // md5("hello") = 5d41402a bc4b2a76 b9719d91 1017c592
        var checksum = TusChecksum.Parse("md5 XUFAKrxLKna5cZ2REBfFkg==");

        Assert.Equal(TusChecksumAlgorithm.Md5, checksum.Algorithm);
        Assert.True(checksum.Matches(MD5.HashData("hello"u8)));
    }

    [Fact]
    public void Parse_Crc32_DigestIsBigEndian()
    {
        // crc32("123456789") = 0xCBF43926 (the CRC-32/IEEE check value); big-endian bytes CB F4 39 26 = "y/Q5Jg==".
        var checksum = TusChecksum.Parse("crc32 y/Q5Jg==");

        Assert.Equal(TusChecksumAlgorithm.Crc32, checksum.Algorithm);
        Assert.Equal([0xCB, 0xF4, 0x39, 0x26], checksum.Digest.ToArray());
        Assert.True(checksum.MatchesCrc32(0xCBF43926));
        Assert.False(checksum.MatchesCrc32(0x2639F4CB));
    }

    [Fact]
    public void MatchesCrc32_OtherAlgorithm_ReturnsFalse() =>
        Assert.False(TusChecksum.Parse(Sha1Hello).MatchesCrc32(0));

    [Theory]
    [InlineData("SHA1 qvTGHdzF6KLavt4PO0gs2a6pQ00=")]
    [InlineData("Md5 XUFAKrxLKna5cZ2REBfFkg==")]
    public void Parse_AlgorithmCase_IsIgnored(string value) => TusChecksum.Parse(value);

    [Theory]
    [InlineData("sha256 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=")]
    [InlineData("crc32c AAAAAA==")]
    [InlineData("blake3 AAAA")]
    public void Parse_UnknownAlgorithm_ThrowsUnsupportedChecksumAlgorithm(string value) =>
        TusAssert.Rejects(TusError.UnsupportedChecksumAlgorithm, () => TusChecksum.Parse(value));

    [Theory]
    [InlineData("")]
    [InlineData("sha1")] // no digest
    [InlineData("sha1 ")] // empty digest
    [InlineData(" qvTGHdzF6KLavt4PO0gs2a6pQ00=")] // no algorithm
    [InlineData("sha1  qvTGHdzF6KLavt4PO0gs2a6pQ00=")] // two spaces
    [InlineData("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00= ")] // trailing space
    [InlineData("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00")] // unpadded
    [InlineData("sha1 XUFAKrxLKna5cZ2REBfFkg==")] // 16-byte digest for sha1
    [InlineData("md5 qvTGHdzF6KLavt4PO0gs2a6pQ00=")] // 20-byte digest for md5
    [InlineData("crc32 y/Q5Jg")] // unpadded crc32
    [InlineData("crc32 y/Q5JgA=")] // 5 bytes
    [InlineData("crc32 y/Q5Jh==")] // non-zero pad bits
    [InlineData("sha1:qvTGHdzF6KLavt4PO0gs2a6pQ00=")] // wrong separator
    [InlineData("sh@1 qvTGHdzF6KLavt4PO0gs2a6pQ00=")] // not a token
    public void Parse_Malformed_ThrowsInvalidUploadChecksum(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadChecksum, () => TusChecksum.Parse(value));

    [Fact]
    public void Constructor_WrongDigestLength_ThrowsArgument() =>
        Assert.Throws<ArgumentException>(() => new TusChecksum(TusChecksumAlgorithm.Md5, new byte[20]));

    [Theory]
    [InlineData(TusChecksumAlgorithm.Sha1, "sha1", 20)]
    [InlineData(TusChecksumAlgorithm.Md5, "md5", 16)]
    [InlineData(TusChecksumAlgorithm.Crc32, "crc32", 4)]
    internal void NameAndDigestLength_EachAlgorithm_MatchWire(TusChecksumAlgorithm algorithm, string name, int length)
    {
        Assert.Equal(name, algorithm.Name());
        Assert.Equal(length, algorithm.DigestLength());
        Assert.True(TusChecksumAlgorithms.TryParse(name, out var parsed));
        Assert.Equal(algorithm, parsed);
        Assert.Contains(name, TusChecksumAlgorithms.HeaderValue.Split(','));
    }

    [Fact]
    public void Format_RandomDigests_RoundTrip()
    {
        var gen = Gen.Select(Gen.Enum<TusChecksumAlgorithm>(), Gen.Byte.Array[64]);
        gen.Sample((algorithm, bytes) =>
        {
            var original = new TusChecksum(algorithm, bytes.AsSpan(0, algorithm.DigestLength()));
            var parsed = TusChecksum.Parse(original.Format());
            Assert.Equal(algorithm, parsed.Algorithm);
            Assert.True(parsed.Matches(original.Digest));
        });
        Assert.Equal("sha1 " + Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes("x"))), new TusChecksum(TusChecksumAlgorithm.Sha1, SHA1.HashData("x"u8)).Format());
    }
}
