using System.Text;
using CsCheck;
using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusMetadataTests
{
    // What supabase-js' docs example sends through tus-js-client (docs/protocol/tus-and-storage.md §TUS metadata):
    // bucketName=avatars, objectName=folder/cat.png, contentType=image/png, cacheControl=3600, metadata={"a":1}
    private const string SupabaseCreate =
        "bucketName YXZhdGFycw==,objectName Zm9sZGVyL2NhdC5wbmc=,contentType aW1hZ2UvcG5n,cacheControl MzYwMA==,metadata eyJhIjoxfQ==";

    [Fact]
    public void Parse_SupabaseCreateHeader_DecodesEveryKeyInOrder()
    {
        var metadata = TusMetadata.Parse(SupabaseCreate);

        Assert.Equal(5, metadata.Count);
        Assert.Equal(["bucketName", "objectName", "contentType", "cacheControl", "metadata"], metadata.Entries.ToArray().Select(e => e.Key));
        Assert.True(metadata.TryGetString("bucketName", out var bucket));
        Assert.Equal("avatars", bucket);
        Assert.True(metadata.TryGetString("objectName", out var name));
        Assert.Equal("folder/cat.png", name);
        Assert.True(metadata.TryGetString("contentType", out var type));
        Assert.Equal("image/png", type);
        Assert.True(metadata.TryGetString("cacheControl", out var cache));
        Assert.Equal("3600", cache);
        Assert.True(metadata.TryGetString("metadata", out var json));
        Assert.Equal("{\"a\":1}", json);
    }

    [Fact]
    public void Format_ParsedHeader_ReproducesHeader() =>
        Assert.Equal(SupabaseCreate, TusMetadata.Parse(SupabaseCreate).Format());

    [Fact]
    public void Parse_KeyWithoutValue_YieldsEmptyValue()
    {
        // "is_confidential" alone: the spec's example of a key with no value.
        var metadata = TusMetadata.Parse("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential");

        Assert.True(metadata.TryGetValue("is_confidential", out var value));
        Assert.True(value.IsEmpty);
        Assert.True(metadata.TryGetString("filename", out var file));
        Assert.Equal("world_domination_plan.pdf", file);
        Assert.Equal("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential", metadata.Format());
    }

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    [InlineData(" , ,")]
    public void Parse_NoElements_ReturnsEmpty(string value) =>
        Assert.Same(TusMetadata.Empty, TusMetadata.Parse(value));

    [Fact]
    public void Parse_OwsAroundCommasAndEmptyElements_AreIgnored()
    {
        var metadata = TusMetadata.Parse("a YQ== , \tb Yg==,,");

        Assert.Equal(2, metadata.Count);
        Assert.Equal("a YQ==,b Yg==", metadata.Format());
    }

    [Fact]
    public void Parse_NonUtf8Value_KeepsBytesAndTryGetStringThrows()
    {
        // "/w==" = 0xFF, never valid in UTF-8.
        var metadata = TusMetadata.Parse("raw /w==");

        Assert.True(metadata.TryGetValue("raw", out var bytes));
        Assert.Equal([0xFF], bytes.ToArray());
        TusAssert.Rejects(TusError.InvalidUploadMetadata, () => metadata.TryGetString("raw", out _));
    }

    [Fact]
    public void TryGetString_AbsentKey_ReturnsFalse()
    {
        Assert.False(TusMetadata.Parse("a YQ==").TryGetString("b", out var value));
        Assert.Null(value);
        Assert.False(TusMetadata.Parse("a YQ==").ContainsKey("A")); // keys are case-sensitive
    }

    [Theory]
    [InlineData("a YQ==,a Yg==")] // duplicate key
    [InlineData("a YQ==,a")] // duplicate key, second without value
    [InlineData("a  YQ==")] // two spaces
    [InlineData("a YQ== Yg==")] // three tokens
    [InlineData("a\tYQ==")] // tab is not the separator
    [InlineData("a YQ")] // unpadded
    [InlineData("a YQ=")] // wrong padding
    [InlineData("a YR==")] // non-zero pad bits (canonical is YQ==)
    [InlineData("a YWI=x")] // char after padding
    [InlineData("a Y-E=")] // base64url alphabet
    [InlineData("a Y Q==")]
    [InlineData("é YQ==")] // non-ASCII key
    [InlineData("a\u0001 YQ==")] // control char in key
    public void Parse_Malformed_ThrowsInvalidUploadMetadata(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadMetadata, () => TusMetadata.Parse(value));

    [Fact]
    public void Parse_LeadingOws_IsTrimmedBeforeTheKey()
    {
        // " YQ==" is OWS then the key "YQ==" (keys may contain '=' and '+'), not an empty key with a value.
        var metadata = TusMetadata.Parse(" YQ==,b");

        Assert.True(metadata.ContainsKey("YQ=="));
        Assert.True(metadata.ContainsKey("b"));
    }

    [Fact]
    public void Parse_OverCap_ThrowsUploadMetadataTooLarge()
    {
        var header = "k " + Convert.ToBase64String(new byte[TusMetadata.DefaultMaxHeaderLength]);
        TusAssert.Rejects(TusError.UploadMetadataTooLarge, () => TusMetadata.Parse(header));
        TusAssert.Rejects(TusError.UploadMetadataTooLarge, () => TusMetadata.Parse("a YQ==", maxHeaderLength: 5));
    }

    [Fact]
    public void Parse_AtCap_Accepts() => Assert.Equal(1, TusMetadata.Parse("a YQ==", maxHeaderLength: 6).Count);

    [Fact]
    public void Create_DuplicateKey_ThrowsArgument() =>
        Assert.Throws<ArgumentException>(() => TusMetadata.Create([new("a", default), new("a", default)]));

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a,b")]
    public void Create_InvalidKey_ThrowsArgument(string key) =>
        Assert.Throws<ArgumentException>(() => TusMetadata.Create([new(key, default)]));

    [Fact]
    public void Create_ServerEntries_FormatsThem()
    {
        var metadata = TusMetadata.Create([new("cacheControl", Encoding.UTF8.GetBytes("max-age=3600")), new("flag", default)]);
        Assert.Equal("cacheControl bWF4LWFnZT0zNjAw,flag", metadata.Format());
    }

    [Fact]
    public void Parse_FormattedMetadata_RoundTrips()
    {
        var keyChar = Gen.Char['!', '~'].Where(c => c != ',');
        var entry = Gen.Select(Gen.String[keyChar, 1, 12], Gen.Byte.Array[0, 40]);
        var gen = entry.Array[0, 12].Select(entries => entries.DistinctBy(e => e.Item1).ToArray());

        gen.Sample(entries =>
        {
            var built = TusMetadata.Create(entries.Select(e => new TusMetadataEntry(e.Item1, e.Item2)));
            var parsed = TusMetadata.Parse(built.Format());

            Assert.Equal(entries.Length, parsed.Count);
            for (var i = 0; i < entries.Length; i++)
            {
                Assert.Equal(entries[i].Item1, parsed.Entries[i].Key);
                Assert.Equal(entries[i].Item2, parsed.Entries[i].Value.ToArray());
            }

            Assert.Equal(built.Format(), parsed.Format());
        });
    }
}
