using System.Text;
using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusUploadIdTests
{
    // base64url("avatars/folder/cat.png/05be5c88-0cf5-4530-b45f-ed566c542524"), no padding
    // (docs/protocol/tus-and-storage.md §Upload id and Location).
    private const string SupabaseId = "YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1MjQ";
    private static readonly Guid s_version = Guid.Parse("05be5c88-0cf5-4530-b45f-ed566c542524");

    [Fact]
    public void Decode_SupabaseLocationSegment_SplitsBucketObjectVersion()
    {
        var id = TusUploadId.Decode(SupabaseId);

        Assert.Equal("avatars", id.Bucket);
        Assert.Equal("folder/cat.png", id.ObjectName);
        Assert.Equal(s_version, id.Version);
    }

    [Fact]
    public void Encode_SupabaseUpload_MatchesLocationSegment() =>
        Assert.Equal(SupabaseId, new TusUploadId("avatars", "folder/cat.png", s_version).Encode());

    [Fact]
    public void Encode_NonAsciiName_UsesUtf8AndUrlAlphabet()
    {
        var id = new TusUploadId("b", "dossier/été?.png", s_version);
        var encoded = id.Encode();

        Assert.DoesNotContain('=', encoded);
        Assert.DoesNotContain('+', encoded);
        Assert.DoesNotContain('/', encoded);
        Assert.Equal(id, TusUploadId.Decode(encoded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1MjQ=")] // padded
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1MjR")] // non-zero pad bits
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1Mj")] // truncated: bad uuid
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1MjQA")] // length 1 mod 4
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1M+Q")] // standard alphabet
    [InlineData("YXZhdGFycy9mb2xkZXIvY2F0LnBuZy8wNWJlNWM4OC0wY2Y1LTQ1MzAtYjQ1Zi1lZDU2NmM1NDI1M/Q")]
    [InlineData("not base64!")]
    public void Decode_BadEncoding_ThrowsInvalidUploadId(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadId, () => TusUploadId.Decode(value));

    [Theory]
    [InlineData("avatars/cat.png")] // no version
    [InlineData("/folder/cat.png/05be5c88-0cf5-4530-b45f-ed566c542524")] // empty bucket
    [InlineData("avatars//05be5c88-0cf5-4530-b45f-ed566c542524")] // empty object
    [InlineData("avatars/05be5c88-0cf5-4530-b45f-ed566c542524")] // no object
    [InlineData("avatars/cat.png/05BE5C88-0CF5-4530-B45F-ED566C542524")] // uppercase uuid
    [InlineData("avatars/cat.png/{05be5c88-0cf5-4530-b45f-ed566c542524}")]
    [InlineData("avatars/cat.png/05be5c880cf54530b45fed566c542524")] // "N" format
    [InlineData("avatars/cat.png/05be5c88-0cf5-4530-b45f-ed566c54252x")]
    [InlineData("avatars/cat.png/")]
    public void Decode_BadStructure_ThrowsInvalidUploadId(string text) =>
        TusAssert.Rejects(TusError.InvalidUploadId, () => TusUploadId.Decode(UrlEncode(Encoding.UTF8.GetBytes(text))));

    [Fact]
    public void Decode_InvalidUtf8_ThrowsInvalidUploadId()
    {
        byte[] bytes = [.. "b/"u8, 0xC3, 0x28, .. "/05be5c88-0cf5-4530-b45f-ed566c542524"u8]; // C3 28: broken 2-byte sequence
        TusAssert.Rejects(TusError.InvalidUploadId, () => TusUploadId.Decode(UrlEncode(bytes)));
    }

    [Fact]
    public void Decode_OverMaxLength_ThrowsInvalidUploadId() =>
        TusAssert.Rejects(TusError.InvalidUploadId, () => TusUploadId.Decode(new string('A', TusUploadId.MaxEncodedLength + 4)));

    [Theory]
    [InlineData("", "a")]
    [InlineData("b", "")]
    [InlineData("a/b", "c")]
    public void Constructor_InvalidNames_ThrowsArgument(string bucket, string objectName) =>
        Assert.Throws<ArgumentException>(() => new TusUploadId(bucket, objectName, s_version));

    [Fact]
    public void Decode_EncodedId_RoundTrips()
    {
        // Any scalar value except '/' in the bucket; the object name may contain '/'. Surrogates excluded: a lone
        // one is not encodable, and pairs are covered by the explicit non-ASCII test.
        var nameChar = Gen.Char.Where(c => !char.IsSurrogate(c));
        var bucket = Gen.String[nameChar.Where(c => c != '/'), 1, 20];
        var objectName = Gen.String[nameChar, 1, 60];
        Gen.Select(bucket, objectName, Gen.Guid).Sample((b, o, v) =>
        {
            var id = new TusUploadId(b, o, v);
            var decoded = TusUploadId.Decode(id.Encode());
            Assert.Equal(id, decoded);
            Assert.Equal(id.Encode(), decoded.Encode());
        });
    }

    private static string UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
