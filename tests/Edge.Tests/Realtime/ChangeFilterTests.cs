using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>
/// The <c>match</c>, <c>imatch</c> and <c>isdistinct</c> filters in process: parsing (a refused pattern is a parse
/// error, which the join turns into a <c>system</c> error) and evaluation on matched, unmatched and NULL values.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ChangeFilterTests
{
    [Theory]
    [InlineData("title=match.^b[0-9]+$", "b12", true)]
    [InlineData("title=match.^b[0-9]+$", "B12", false)]
    [InlineData("title=match.^b[0-9]+$", "b12x", false)]
    [InlineData("title=match.b", "abc", true)]                 // unanchored: a match anywhere
    [InlineData("title=match.^a.c$", "a\nc", true)]            // '.' matches newline, as in PostgreSQL
    [InlineData("title=match.^ab$", "ab\n", false)]            // '$' is the end of the value, not before a final newline
    [InlineData("title=match.^(foo|ba[rz])+\\d{2,3}$", "foobaz12", true)]
    [InlineData("title=match.^(foo|ba[rz])+\\d{2,3}$", "foobaz1", false)]
    [InlineData("title=match.^[^a-c]*$", "xyz", true)]
    [InlineData("title=match.^[^a-c]*$", "xbz", false)]
    [InlineData("title=match.[]x]", "a]", true)]               // ']' first in a bracket is literal
    [InlineData("title=match.^a.*?c$", "abbc", true)]          // non-greedy: same values match
    [InlineData("title=match.\\.", "a.b", true)]
    [InlineData("title=match.\\.", "ab", false)]
    [InlineData("title=not.match.^b", "abc", true)]
    [InlineData("title=not.match.^b", "bcd", false)]
    [InlineData("title=imatch.^b\\d", "B7x", true)]
    [InlineData("title=imatch.^b\\d", "b7", true)]
    [InlineData("title=imatch.^b\\d", "a7", false)]
    [InlineData("title=imatch.ÄB", "xäb", true)]
    [InlineData("title=isdistinct.a", "b", true)]
    [InlineData("title=isdistinct.a", "a", false)]
    [InlineData("title=not.isdistinct.a", "a", true)]
    [InlineData("id=isdistinct.10", "10.0", false)]            // compared as the column's type, like eq
    [InlineData("id=isdistinct.10", "9", true)]
    [InlineData("title=like.a%c", "abbc", true)]
    [InlineData("title=like.a%c", "abbcd", false)]              // anchored at both ends
    [InlineData("title=like.a_c", "abc", true)]
    [InlineData("title=like.a_c", "ac", false)]
    [InlineData("title=like.a\\%c", "a%c", true)]               // an escaped % is literal
    [InlineData("title=like.a\\%c", "abc", false)]
    [InlineData("title=like.a.b(c)[d]{2}+?^$|#", "a.b(c)[d]{2}+?^$|#", true)] // regex syntax is literal in LIKE
    [InlineData("title=like.a.b", "axb", false)]
    [InlineData("title=like.a b\tc", "a b\tc", true)]
    [InlineData("title=like.%\n%", "line\nbreak", true)]          // % spans newlines
    [InlineData("title=ilike.AB%", "abc", true)]
    [InlineData("title=like.AB%", "abc", false)]
    [InlineData("title=not.like.a%", "abc", false)]
    public void Matches_TextValue(string filter, string value, bool expected)
    {
        var parsed = Parse(filter);
        Assert.Equal(expected, parsed.Matches(Insert(value)));
    }

    [Theory]
    [InlineData("title=match.", false)]            // NULL ~ anything is NULL: no match, negated or not
    [InlineData("title=not.match.", false)]
    [InlineData("title=imatch.a", false)]
    [InlineData("title=isdistinct.a", true)]       // NULL IS DISTINCT FROM 'a'
    [InlineData("title=not.isdistinct.a", false)]  // NULL IS NOT DISTINCT FROM 'a' is false
    public void Matches_NullValue(string filter, bool expected)
    {
        Assert.Equal(expected, Parse(filter).Matches(Insert(null)));
    }

    [Theory]
    [InlineData("title=isdistinct.a")]
    [InlineData("title=not.isdistinct.a")]
    [InlineData("title=match.a")]
    public void Matches_UnchangedToast_NeverMatches(string filter)
    {
        var change = Change(ChangeKind.Insert, [ChangeValue.FromText("1"), ChangeValue.UnchangedToast]);
        Assert.False(Parse(filter).Matches(change));
    }

    [Fact]
    public void Matches_Delete_JudgedOnOldRecord()
    {
        var change = new ChangeEvent
        {
            Source = new ChangeSource("public", "todos", s_columns, DateTimeOffset.UnixEpoch, 1, PayloadError: null, Encoder: null),
            Kind = ChangeKind.Delete,
            Record = [],
            OldRecord = [ChangeValue.FromText("1"), ChangeValue.FromText("b1")],
            DataJson = ReadOnlyMemory<byte>.Empty,
        };
        Assert.True(Parse("title=match.^b").Matches(change));
        Assert.False(Parse("title=isdistinct.b1").Matches(change));
    }

    [Theory]
    [InlineData("title=match.(a")]                // unbalanced
    [InlineData("title=match.a)")]
    [InlineData("title=match.*a")]                // quantifier without operand
    [InlineData("title=match.a**")]
    [InlineData("title=match.a{2")]               // bad bound
    [InlineData("title=match.a{3,2}")]
    [InlineData("title=match.a{256}")]            // over PostgreSQL's 255
    [InlineData("title=match.[abc")]              // unterminated bracket
    [InlineData("title=match.(a)\\1")]            // backreference
    [InlineData("title=match.a(?=b)")]            // lookahead
    [InlineData("title=match.(?i)a")]             // embedded options
    [InlineData("title=match.[[:alpha:]]")]       // locale-dependent classes
    [InlineData("title=imatch.\\w+")]
    [InlineData("title=imatch.\\s")]
    [InlineData("title=match.\\mfoo")]            // PostgreSQL-only word boundary
    [InlineData("title=match.***=a")]             // directors
    [InlineData("title=match.a\\")]               // trailing backslash
    public void TryParse_UnsupportedPattern_Refused(string filter)
    {
        Assert.False(ChangeFilter.TryParse(filter, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.StartsWith($"Error parsing `filter` params: {filter} (unsupported regular expression: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_PatternTooLong_Refused()
    {
        var filter = "title=match." + new string('a', PosixRegex.MaxPatternLength + 1);
        Assert.False(ChangeFilter.TryParse(filter, out _, out var error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("like")]
    [InlineData("ilike")]
    public void TryParse_LikePatternTooLong_Refused(string op)
    {
        // Its translation is compiled per join: a 32 KB pattern once allocated 273 MB doing so (found by fuzzing).
        var filter = $"title={op}." + new string('%', PosixRegex.MaxPatternLength + 1);
        Assert.False(ChangeFilter.TryParse(filter, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.EndsWith($"(pattern longer than {PosixRegex.MaxPatternLength} characters)", error, StringComparison.Ordinal);
        Assert.True(ChangeFilter.TryParse($"title={op}." + new string('%', PosixRegex.MaxPatternLength), out _, out error), error);
    }

    [Fact]
    public void Matches_LikeWithManyWildcards_StaysLinear()
    {
        // The backtracking engine with its 50 ms timeout threw RegexMatchTimeoutException here, out of the router.
        var parsed = Parse("title=like.%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b");
        Assert.False(parsed.Matches(Insert(new string('a', 50_000))));
        Assert.True(parsed.Matches(Insert(new string('a', 50_000) + "b")));
    }

    [Theory]
    [InlineData("title=match.^a", "Match", false, "^a")]
    [InlineData("title=imatch.a.b", "IMatch", false, "a.b")]
    [InlineData("title=not.isdistinct.x", "IsDistinct", true, "x")]
    public void TryParse_NewOperators(string filter, string op, bool negate, string value)
    {
        Assert.True(ChangeFilter.TryParse(filter, out var parsed, out var error), error);
        Assert.Equal(op, parsed!.Operator.ToString());
        Assert.Equal(negate, parsed.Negate);
        Assert.Equal(value, parsed.Value);
        Assert.Equal("title", parsed.Column);
    }

    [Fact]
    public void Matches_Backtracking_StaysLinear()
    {
        // Catastrophic for a backtracking engine; the non-backtracking one answers at once.
        var parsed = Parse("title=match.^(a+)+$");
        Assert.False(parsed.Matches(Insert(new string('a', 50_000) + "!")));
    }

    private static readonly ChangeColumn[] s_columns =
    [
        new("id", "numeric", 1700, IsKey: true),
        new("title", "text", 25, IsKey: false),
    ];

    private static ChangeFilter Parse(string filter)
    {
        Assert.True(ChangeFilter.TryParse(filter, out var parsed, out var error), error);
        return parsed!;
    }

    /// <summary>An INSERT whose title is <paramref name="title"/> (NULL when null); filters on id see it as the value.</summary>
    private static ChangeEvent Insert(string? title)
    {
        var value = title is null ? ChangeValue.Null : ChangeValue.FromText(title);
        return Change(ChangeKind.Insert, [value, value]);
    }

    private static ChangeEvent Change(ChangeKind kind, ChangeValue[] record) => new()
    {
        Source = new ChangeSource("public", "todos", s_columns, DateTimeOffset.UnixEpoch, 1, PayloadError: null, Encoder: null),
        Kind = kind,
        Record = record,
        OldRecord = [],
        DataJson = ReadOnlyMemory<byte>.Empty,
    };
}
