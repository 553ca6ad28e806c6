using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusConcatTests
{
    [Fact]
    public void Parse_Partial_ReturnsPartial()
    {
        var concat = TusConcat.Parse("partial");

        Assert.Equal(TusConcatKind.Partial, concat.Kind);
        Assert.Empty(concat.PartialUploads);
        Assert.Equal("partial", concat.Format());
    }

    [Fact]
    public void Parse_FinalWithUrls_ReturnsUrlsInOrder()
    {
        // What tus-js-client sends after parallelUploads=2: "final;" + partial URLs joined by one space.
        const string value = "final;/files/a https://tus.example.org/files/b";
        var concat = TusConcat.Parse(value);

        Assert.Equal(TusConcatKind.Final, concat.Kind);
        Assert.Equal(["/files/a", "https://tus.example.org/files/b"], concat.PartialUploads);
        Assert.Equal(value, concat.Format());
    }

    [Fact]
    public void Parse_FinalWithOneUrl_ReturnsIt() =>
        Assert.Equal(["/files/a"], TusConcat.Parse("final;/files/a").PartialUploads);

    [Theory]
    [InlineData("")]
    [InlineData("Partial")] // tokens are case-sensitive
    [InlineData("partial;")]
    [InlineData("partial ")]
    [InlineData("final")] // no list
    [InlineData("final;")] // empty list
    [InlineData("final; /files/a")] // OWS after ';'
    [InlineData("final;/files/a  /files/b")] // two spaces
    [InlineData("final;/files/a /files/b ")] // trailing space
    [InlineData("final;/files/a\t/files/b")] // tab
    [InlineData("final;/files/é")] // non-ASCII URL
    [InlineData("FINAL;/files/a")]
    [InlineData("final:/files/a")]
    public void Parse_Malformed_ThrowsInvalidUploadConcat(string value) =>
        TusAssert.Rejects(TusError.InvalidUploadConcat, () => TusConcat.Parse(value));

    [Fact]
    public void Final_Urls_FormatsHeader() =>
        Assert.Equal("final;/a /b", TusConcat.Final(["/a", "/b"]).Format());

    [Theory]
    [InlineData("")] // no URLs at all
    [InlineData("/a b")]
    [InlineData("/a|")] // second URL empty
    [InlineData("/a|/b\u00e9")]
    public void Final_InvalidUrls_ThrowsArgument(string urls)
    {
        string[] list = urls.Length == 0 ? [] : urls.Split('|');
        Assert.Throws<ArgumentException>(() => TusConcat.Final(list));
    }
}
