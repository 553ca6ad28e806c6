using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>The <c>select</c> key of a postgres_changes binding as upstream parses it.</summary>
[Trait("Kind", "InProcess")]
public sealed class PostgresBindingSelectTests
{
    private static PostgresBinding? Parse(string json, out string? error) => PostgresBinding.Parse(Encoding.UTF8.GetBytes(json), out _, out error);

    [Fact]
    public void Parse_SelectList_SortedDistinctAndReplyKeepsItAsSent()
    {
        var element = Encoding.UTF8.GetBytes("""{"event":"*","schema":"public","table":"t","select":["title","done","title"]}""");
        var binding = PostgresBinding.Parse(element, out var reply, out var error);

        Assert.Null(error);
        Assert.Equal(["done", "title"], binding!.Select!);
        Assert.StartsWith("""{"event":"*","schema":"public","table":"t","select":["title","done","title"],"id":""", Encoding.UTF8.GetString(reply), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SameColumnsOtherOrder_SameSelectKey()
    {
        var a = Parse("""{"event":"*","schema":"public","table":"t","select":["a","b"]}""", out _);
        var b = Parse("""{"event":"*","schema":"public","table":"t","select":["b","a"]}""", out _);

        Assert.Equal(a!.SelectKey, b!.SelectKey);
        Assert.NotEqual("", a.SelectKey);
    }

    [Theory]
    [InlineData("""{"event":"*","schema":"public","table":"t"}""")]
    [InlineData("""{"event":"*","schema":"public","table":"t","select":[]}""")]
    [InlineData("""{"event":"*","schema":"public","table":"t","select":[1,null]}""")] // only strings count
    public void Parse_NoColumns_EveryColumn(string json)
    {
        var binding = Parse(json, out var error);

        Assert.Null(error);
        Assert.Null(binding!.Select);
        Assert.Equal("", binding.SelectKey);
    }

    [Fact]
    public void Parse_SelectString_UpstreamParseError()
    {
        Assert.Null(Parse("""{"event":"*","schema":"public","table":"t","select":"title"}""", out var error));
        Assert.Equal("Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]", error);
    }

    [Theory]
    [InlineData("""{"event":"*","schema":"*","select":["a"]}""")]
    [InlineData("""{"event":"*","schema":"public","select":["a"]}""")]
    [InlineData("""{"event":"*","schema":"public","table":"*","select":["a"]}""")]
    public void Parse_SelectOnWildcard_UpstreamError(string json)
    {
        Assert.Null(Parse(json, out var error));
        Assert.Equal("Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.", error);
    }
}
