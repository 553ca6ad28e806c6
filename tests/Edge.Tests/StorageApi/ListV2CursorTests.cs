using MadBase.Edge.Objects;
using MadBase.Edge.StorageApi;

namespace MadBase.Edge.Tests.StorageApi;

/// <summary>The listV2 cursor: upstream's base64 <c>key:value</c> lines, and its error for a cursor it cannot read.</summary>
[Trait("Kind", "InProcess")]
public sealed class ListV2CursorTests
{
    [Fact]
    public void Encode_AllParts_UpstreamLayout()
    {
        var cursor = new ListV2Cursor("a/b/", "desc", "created_at", "2026-01-02T03:04:05.678Z").Encode();

        Assert.Equal("l:a/b/\no:desc\nc:created_at\na:2026-01-02T03:04:05.678Z", Encoding.UTF8.GetString(Convert.FromBase64String(cursor)));
    }

    [Fact]
    public void Decode_Encoded_RoundTrips()
    {
        var original = new ListV2Cursor("dir/ü.txt", "asc", null, null);

        Assert.Equal(original, ListV2Cursor.Decode(original.Encode()));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("bm9wZQ==")] // "nope"
    [InlineData("eDp5")] // "x:y": unknown key
    public void Decode_Unreadable_InvalidParameter(string cursor)
    {
        var error = Assert.Throws<StorageException>(() => ListV2Cursor.Decode(cursor));

        Assert.Equal("InvalidParameter", error.Code);
        Assert.Equal("Invalid Parameter continuation token", error.Message);
        Assert.Equal(400, error.Status);
    }
}
