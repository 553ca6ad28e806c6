using System.Globalization;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// One <c>column=op.value</c> row filter, evaluated in process on the change's text values with a comparison
/// chosen by the column's type (so <c>id=eq.1</c> on an int column compares numbers, as upstream's SQL casts do).
/// NULL, absent and unchanged-TOAST values never match, except NULL for <c>is.null</c> and <c>isdistinct</c> (IS
/// DISTINCT FROM treats NULL as a value). <c>match</c>/<c>imatch</c> patterns are checked and compiled at parse time
/// (<see cref="PosixRegex"/>), so a pattern that is refused fails the join, never a change.
/// </summary>
internal sealed class ChangeFilter
{
    /// <summary>Upstream's cap on <c>in.(…)</c> lists.</summary>
    private const int MaxInValues = 100;

    /// <summary>
    /// The LIKE or POSIX pattern, compiled once per binding (the router evaluates it for every change); set exactly
    /// when the operator is like, ilike, match or imatch.
    /// </summary>
    private readonly System.Text.RegularExpressions.Regex? _pattern;

    private ChangeFilter(string column, ChangeFilterOperator op, bool negate, string value, string[] values, System.Text.RegularExpressions.Regex? pattern)
    {
        Column = column;
        Operator = op;
        Negate = negate;
        Value = value;
        Values = values;
        _pattern = op is ChangeFilterOperator.Like or ChangeFilterOperator.ILike
            ? BuildLike(value, ignoreCase: op == ChangeFilterOperator.ILike)
            : pattern;
    }

    public string Column { get; }

    public ChangeFilterOperator Operator { get; }

    public bool Negate { get; }

    public string Value { get; }

    /// <summary>The parsed list for <see cref="ChangeFilterOperator.In"/>; empty otherwise.</summary>
    public string[] Values { get; }

    /// <summary>
    /// Parses <c>column=[not.]op.value</c>: column is the text before the first '=', the operator runs to the next
    /// '.', the value is the rest (it may contain dots).
    /// </summary>
    public static bool TryParse(string filter, out ChangeFilter? parsed, out string error)
    {
        parsed = null;
        var equals = filter.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0)
        {
            error = $"Error parsing `filter` params: {filter}";
            return false;
        }

        var column = filter[..equals].Trim();
        var rest = filter[(equals + 1)..];
        var negate = false;
        if (rest.StartsWith("not.", StringComparison.Ordinal))
        {
            negate = true;
            rest = rest[4..];
        }

        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        var opText = dot < 0 ? rest : rest[..dot];
        var value = dot < 0 ? "" : rest[(dot + 1)..];
        ChangeFilterOperator? op = opText switch
        {
            "eq" => ChangeFilterOperator.Eq,
            "neq" => ChangeFilterOperator.Neq,
            "lt" => ChangeFilterOperator.Lt,
            "lte" => ChangeFilterOperator.Lte,
            "gt" => ChangeFilterOperator.Gt,
            "gte" => ChangeFilterOperator.Gte,
            "in" => ChangeFilterOperator.In,
            "is" => ChangeFilterOperator.Is,
            "like" => ChangeFilterOperator.Like,
            "ilike" => ChangeFilterOperator.ILike,
            "match" => ChangeFilterOperator.Match,
            "imatch" => ChangeFilterOperator.IMatch,
            "isdistinct" => ChangeFilterOperator.IsDistinct,
            _ => null,
        };
        if (op is null || dot < 0)
        {
            error = $"Error parsing `filter` params: {filter}";
            return false;
        }

        string[] values = [];
        if (op == ChangeFilterOperator.In)
        {
            var list = value.Trim();
            if (list.Length < 2 || list[0] != '(' || list[^1] != ')')
            {
                error = $"Error parsing `filter` params: {filter} (in expects a list like in.(1,2,3))";
                return false;
            }

            values = SplitList(list[1..^1]);
            if (values.Length > MaxInValues)
            {
                error = $"Error parsing `filter` params: {filter} (at most {MaxInValues} values)";
                return false;
            }
        }

        if (op == ChangeFilterOperator.Is && value is not ("null" or "true" or "false" or "unknown"))
        {
            error = $"Error parsing `filter` params: {filter} (is expects null, true, false or unknown)";
            return false;
        }

        if (op is ChangeFilterOperator.Like or ChangeFilterOperator.ILike && value.Length > PosixRegex.MaxPatternLength)
        {
            // The regex bound applies to LIKE too: its translation is compiled per join, and a 32 KB pattern once
            // allocated 273 MB doing so (found by fuzzing).
            error = $"Error parsing `filter` params: {filter} (pattern longer than {PosixRegex.MaxPatternLength} characters)";
            return false;
        }

        System.Text.RegularExpressions.Regex? pattern = null;
        if (op is ChangeFilterOperator.Match or ChangeFilterOperator.IMatch
            && !PosixRegex.TryCreate(value, ignoreCase: op == ChangeFilterOperator.IMatch, out pattern, out var patternError))
        {
            error = $"Error parsing `filter` params: {filter} (unsupported regular expression: {patternError})";
            return false;
        }

        parsed = new ChangeFilter(column, op.Value, negate, value, values, pattern);
        error = "";
        return true;
    }

    /// <summary>Whether the row passes: DELETE is judged on its old record, everything else on its new one.</summary>
    public bool Matches(ChangeEvent change)
    {
        var row = change.Kind == ChangeKind.Delete ? change.OldRecord : change.Record;
        var index = change.ColumnIndex(Column);
        if (index < 0 || index >= row.Count)
        {
            return false;
        }

        var value = row[index]; // once: a packed row makes the string on each read
        if (Operator == ChangeFilterOperator.Is)
        {
            return MatchesIs(value, change.Columns[index].TypeName) != Negate;
        }

        if (Operator == ChangeFilterOperator.IsDistinct && value.Kind == ChangeValueKind.Null)
        {
            return !Negate; // NULL IS DISTINCT FROM any (non-NULL) filter value
        }

        if (value.Kind != ChangeValueKind.Text)
        {
            return false;
        }

        var actual = value.Text!;
        var type = change.Columns[index].TypeName;
        var result = Operator switch
        {
            ChangeFilterOperator.Eq => Compare(type, actual, Value) == 0,
            ChangeFilterOperator.Lt => Compare(type, actual, Value) < 0,
            ChangeFilterOperator.Lte => Compare(type, actual, Value) <= 0,
            ChangeFilterOperator.Gt => Compare(type, actual, Value) > 0,
            ChangeFilterOperator.Gte => Compare(type, actual, Value) >= 0,
            ChangeFilterOperator.Like or ChangeFilterOperator.ILike => _pattern!.IsMatch(actual),
            ChangeFilterOperator.Match or ChangeFilterOperator.IMatch => PosixRegex.IsMatch(_pattern!, actual),
            ChangeFilterOperator.Neq or ChangeFilterOperator.IsDistinct => Compare(type, actual, Value) is { } c && c != 0,
            _ => Array.Exists(Values, v => Compare(type, actual, v) == 0),
        };
        return result != Negate;
    }

    /// <summary>
    /// Compares a column's text value with a filter value as the column's type; null when the filter value does
    /// not convert (upstream's cast would fail, so the row does not match).
    /// </summary>
    internal static int? Compare(string typeName, string actual, string expected)
    {
        switch (typeName)
        {
            case "int2" or "int4" or "int8" or "oid" or "numeric" or "float4" or "float8":
                if (decimal.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                    && decimal.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var e))
                {
                    return a.CompareTo(e);
                }

                return double.TryParse(actual, NumberStyles.Float, CultureInfo.InvariantCulture, out var ad)
                    && double.TryParse(expected, NumberStyles.Float, CultureInfo.InvariantCulture, out var ed)
                    ? ad.CompareTo(ed) : null;
            case "bool":
                return ParseBool(actual) is { } ab && ParseBool(expected) is { } eb ? ab.CompareTo(eb) : null;
            case "uuid":
                return Guid.TryParse(actual, out var ag) && Guid.TryParse(expected, out var eg) ? ag.CompareTo(eg) : null;
            case "timestamptz" or "timestamp" or "date":
                return ParseTime(actual) is { } at && ParseTime(expected) is { } et ? at.CompareTo(et) : null;
            default:
                return string.CompareOrdinal(actual, expected);
        }
    }

    /// <summary><c>is.null</c> matches NULL; <c>is.true/false/unknown</c> need a boolean column (unknown = NULL).</summary>
    private bool MatchesIs(ChangeValue value, string typeName) => Value switch
    {
        "null" or "unknown" => value.Kind == ChangeValueKind.Null,
        _ => typeName == "bool" && value.Kind == ChangeValueKind.Text && ParseBool(value.Text!) == (Value == "true"),
    };

    /// <summary>
    /// SQL LIKE: <c>%</c> any run, <c>_</c> one character, backslash escapes the next character. Compiled for the
    /// non-backtracking engine, without a match timeout, for the reasons <see cref="PosixRegex"/> gives: a pattern such
    /// as <c>%a%a%a%a%b</c> made the backtracking engine time out, which threw out of the router.
    /// </summary>
    private static System.Text.RegularExpressions.Regex BuildLike(string pattern, bool ignoreCase)
    {
        var regex = new System.Text.StringBuilder("^", (pattern.Length * 2) + 2);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
            {
                AppendLiteral(regex, pattern[++i]);
            }
            else if (c == '%')
            {
                regex.Append(".*");
            }
            else if (c == '_')
            {
                regex.Append('.');
            }
            else
            {
                AppendLiteral(regex, c);
            }
        }

        var options = System.Text.RegularExpressions.RegexOptions.NonBacktracking | System.Text.RegularExpressions.RegexOptions.Singleline
            | System.Text.RegularExpressions.RegexOptions.CultureInvariant
            | (ignoreCase ? System.Text.RegularExpressions.RegexOptions.IgnoreCase : System.Text.RegularExpressions.RegexOptions.None);
        return new System.Text.RegularExpressions.Regex(regex.Append('$').ToString(), options, System.Text.RegularExpressions.Regex.InfiniteMatchTimeout);

        static void AppendLiteral(System.Text.StringBuilder regex, char c)
        {
            if (c is '\\' or '*' or '+' or '?' or '|' or '{' or '}' or '[' or ']' or '(' or ')' or '^' or '$' or '.' or '#' or ' ' or '\t' or '\n' or '\r' or '\f')
            {
                regex.Append('\\');
            }

            regex.Append(c switch { '\t' => 't', '\n' => 'n', '\r' => 'r', '\f' => 'f', _ => c });
        }
    }

    private static bool? ParseBool(string text) => text.ToLowerInvariant() switch
    {
        "t" or "true" or "y" or "yes" or "on" or "1" => true,
        "f" or "false" or "n" or "no" or "off" or "0" => false,
        _ => null,
    };

    private static DateTimeOffset? ParseTime(string text)
    {
        // PostgreSQL prints "+00" offsets; .NET wants "+00:00".
        var timeStart = text.IndexOfAny([' ', 'T']);
        var normalized = timeStart > 0 && text.Length - timeStart > 3 && text[^3] is '+' or '-' ? text + ":00" : text;
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value) ? value : null;
    }

    /// <summary>Splits an array-literal body: commas separate, double quotes protect, backslash escapes.</summary>
    private static string[] SplitList(string body)
    {
        var values = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        var wasQuoted = false;
        for (var i = 0; i < body.Length; i++)
        {
            var c = body[i];
            if (quoted)
            {
                if (c == '\\' && i + 1 < body.Length)
                {
                    current.Append(body[++i]);
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
                wasQuoted = true;
            }
            else if (c == ',')
            {
                values.Add(wasQuoted ? current.ToString() : current.ToString().Trim());
                current.Clear();
                wasQuoted = false;
            }
            else
            {
                current.Append(c);
            }
        }

        if (values.Count > 0 || current.Length > 0 || wasQuoted)
        {
            values.Add(wasQuoted ? current.ToString() : current.ToString().Trim());
        }

        return [.. values];
    }
}
