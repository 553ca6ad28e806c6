using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// Translates the subset of PostgreSQL's POSIX regular expressions (ARE, the <c>~</c> / <c>~*</c> operators behind
/// PostgREST's <c>match</c> / <c>imatch</c>) whose meaning .NET reproduces exactly, into a linear-time
/// <see cref="RegexOptions.NonBacktracking"/> regex. Anything outside the subset is refused, never approximated.
/// </summary>
/// <remarks>
/// Supported: literals; <c>.</c> (matches newline, as in PostgreSQL's default mode); <c>^</c> / <c>$</c> (start and
/// end of the whole value); <c>* + ?</c> and bounds <c>{m} {m,} {m,n}</c> (≤ 255, PostgreSQL's limit), each
/// optionally non-greedy (<c>*?</c> …: irrelevant to whether a value matches); <c>|</c>; groups <c>( )</c> and
/// <c>(?: )</c>; bracket expressions <c>[abc] [^a-z]</c>; escapes <c>\d \D \n \t \r</c> and a backslash before any
/// non-alphanumeric character. Refused: backreferences, lookaround and other <c>(?</c> forms, POSIX classes and
/// collating elements in brackets (<c>[[:alpha:]]</c>, <c>[.x.]</c>, <c>[=x=]</c>: locale-dependent), the
/// locale-dependent <c>\s \S \w \W</c>, PostgreSQL-only escapes (<c>\m \M \y \Y \A \Z</c>, <c>\x…</c>, …), the
/// <c>***</c> directors, and patterns longer than <see cref="MaxPatternLength"/>. Case-insensitive matching folds
/// case culture-invariantly (PostgreSQL folds by the database's locale; the two agree outside rare scripts).
/// </remarks>
internal static class PosixRegex
{
    /// <summary>
    /// Longer patterns are refused. It bounds what a binding's regex holds: the non-backtracking engine builds its DFA
    /// while matching and keeps it on the regex, and that grows faster than the pattern (fuzzing found a 509-character
    /// case-insensitive bracket-and-spaces pattern whose regex kept 19 MB after one match; at 128 characters 2.5 MB).
    /// 512 until 2026-12-06.
    /// </summary>
    public const int MaxPatternLength = 128;

    /// <summary>PostgreSQL's RE_DUP_MAX: the largest repetition bound it accepts.</summary>
    private const int MaxBound = 255;


    /// <summary>Compiles <paramref name="pattern"/>, or explains (in <paramref name="error"/>) why it is refused.</summary>
    public static bool TryCreate(string pattern, bool ignoreCase, out Regex? regex, out string error)
    {
        regex = null;
        if (pattern.Length > MaxPatternLength)
        {
            error = $"pattern longer than {MaxPatternLength} characters";
            return false;
        }

        if (!TryTranslate(pattern, out var translated, out error))
        {
            return false;
        }

        var options = RegexOptions.NonBacktracking | RegexOptions.Singleline | RegexOptions.CultureInvariant
            | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            // No match timeout: the non-backtracking engine runs in time linear in the value (the pattern is bounded by
            // MaxPatternLength), and a timeout could only turn a matching row into a silently undelivered one — under
            // JIT on a loaded machine its lazy DFA construction once took longer than 100 ms.
            regex = new Regex(translated, options, Regex.InfiniteMatchTimeout);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            error = "unsupported regular expression";
            return false;
        }
    }

    /// <summary>Whether <paramref name="value"/> contains a match.</summary>
    public static bool IsMatch(Regex regex, string value) => regex.IsMatch(value);

    private static bool TryTranslate(string pattern, out string translated, out string error)
    {
        var output = new StringBuilder(pattern.Length + 8);
        translated = "";
        error = "";
        var depth = 0;

        // Whether the previous item can take a quantifier; after one, whether a non-greedy '?' may still follow.
        var canQuantify = false;
        var afterQuantifier = false;
        if (pattern.StartsWith("***", StringComparison.Ordinal))
        {
            error = "*** directors are not supported";
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' or '+' or '?' or '{':
                    if (afterQuantifier && c == '?')
                    {
                        afterQuantifier = false; // non-greedy: same set of matching values, so dropped
                        continue;
                    }

                    if (!canQuantify)
                    {
                        error = "quantifier without operand";
                        return false;
                    }

                    if (c == '{')
                    {
                        if (!TryReadBound(pattern, ref i, output, out error))
                        {
                            return false;
                        }
                    }
                    else
                    {
                        output.Append(c);
                    }

                    canQuantify = false;
                    afterQuantifier = true;
                    continue;
                case '(':
                    if (i + 1 < pattern.Length && pattern[i + 1] == '?')
                    {
                        if (i + 2 >= pattern.Length || pattern[i + 2] != ':')
                        {
                            error = "lookaround and (? options are not supported";
                            return false;
                        }

                        output.Append("(?:");
                        i += 2;
                    }
                    else
                    {
                        output.Append('(');
                    }

                    depth++;
                    canQuantify = false;
                    break;
                case ')':
                    if (depth == 0)
                    {
                        error = "unbalanced parenthesis";
                        return false;
                    }

                    depth--;
                    output.Append(')');
                    canQuantify = true;
                    break;
                case '|':
                    output.Append('|');
                    canQuantify = false;
                    break;
                case '^':
                    output.Append(@"\A");
                    canQuantify = false;
                    break;
                case '$':
                    output.Append(@"\z"); // .NET's '$' would also match before a final newline
                    canQuantify = false;
                    break;
                case '.':
                    output.Append('.');
                    canQuantify = true;
                    break;
                case '[':
                    if (!TryReadBracket(pattern, ref i, output, out error))
                    {
                        return false;
                    }

                    canQuantify = true;
                    break;
                case '\\':
                    if (!TryReadEscape(pattern, ref i, output, out error))
                    {
                        return false;
                    }

                    canQuantify = true;
                    break;
                default:
                    AppendLiteral(output, c);
                    canQuantify = true;
                    break;
            }

            afterQuantifier = false;
        }

        if (depth != 0)
        {
            error = "unbalanced parenthesis";
            return false;
        }

        translated = output.ToString();
        return true;
    }

    /// <summary>Reads <c>{m}</c>, <c>{m,}</c> or <c>{m,n}</c> at <paramref name="i"/> (on the '{'); leaves i on the '}'.</summary>
    private static bool TryReadBound(string pattern, ref int i, StringBuilder output, out string error)
    {
        var close = pattern.IndexOf('}', i);
        var body = close < 0 ? "" : pattern[(i + 1)..close];
        var comma = body.IndexOf(',', StringComparison.Ordinal);
        var minText = comma < 0 ? body : body[..comma];
        var maxText = comma < 0 ? minText : body[(comma + 1)..];
        var max = -1;
        if (!TryParseBound(minText, out var min) || (maxText.Length > 0 && (!TryParseBound(maxText, out max) || max < min)))
        {
            error = "invalid repetition bound";
            return false;
        }

        output.Append('{').Append(body).Append('}');
        i = close;
        error = "";
        return true;
    }

    private static bool TryParseBound(string text, out int value)
    {
        value = -1;
        return text.Length is > 0 and <= 3
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= MaxBound;
    }

    /// <summary>
    /// Reads a bracket expression at <paramref name="i"/> (on the '['), leaving i on its ']'. A ']' first (after an
    /// optional '^') is literal, a '-' first or last is literal, a backslash escapes as outside brackets.
    /// </summary>
    private static bool TryReadBracket(string pattern, ref int i, StringBuilder output, out string error)
    {
        error = "";
        var j = i + 1;
        output.Append('[');
        if (j < pattern.Length && pattern[j] == '^')
        {
            output.Append('^');
            j++;
        }

        var first = true;
        var items = 0;
        for (; j < pattern.Length; j++)
        {
            var c = pattern[j];
            if (c == ']' && !first)
            {
                output.Append(']');
                i = j;
                return true;
            }

            first = false;
            if (c == '[' && j + 1 < pattern.Length && pattern[j + 1] is ':' or '.' or '=')
            {
                error = "POSIX classes and collating elements ([:alpha:], [.x.], [=x=]) are not supported";
                return false;
            }

            if (c == '-' && items > 0 && j + 1 < pattern.Length && pattern[j + 1] != ']')
            {
                output.Append('-'); // a range between the previous item and the next
                continue;
            }

            if (c == '\\')
            {
                if (j + 1 >= pattern.Length || char.IsAsciiLetterOrDigit(pattern[j + 1]) && pattern[j + 1] is not ('d' or 'n' or 't' or 'r'))
                {
                    error = "unsupported escape in a bracket expression";
                    return false;
                }

                j++;
                output.Append(pattern[j] switch
                {
                    'd' => @"0-9",
                    'n' => @"\n",
                    't' => @"\t",
                    'r' => @"\r",
                    var literal => BracketLiteral(literal),
                });
            }
            else
            {
                AppendBracketLiteral(output, c);
            }

            items++;
        }

        error = "unterminated bracket expression";
        return false;
    }

    /// <summary>Reads a backslash escape at <paramref name="i"/> (on the '\'), leaving i on its last character.</summary>
    private static bool TryReadEscape(string pattern, ref int i, StringBuilder output, out string error)
    {
        error = "";
        if (i + 1 >= pattern.Length)
        {
            error = "trailing backslash";
            return false;
        }

        var c = pattern[++i];
        switch (c)
        {
            case 'd':
                output.Append("[0-9]");
                return true;
            case 'D':
                output.Append("[^0-9]");
                return true;
            case 'n':
                output.Append(@"\n");
                return true;
            case 't':
                output.Append(@"\t");
                return true;
            case 'r':
                output.Append(@"\r");
                return true;
            default:
                if (char.IsAsciiLetterOrDigit(c))
                {
                    error = $"unsupported escape \\{c}";
                    return false;
                }

                AppendLiteral(output, c);
                return true;
        }
    }

    private static void AppendLiteral(StringBuilder output, char c) => output.Append(Regex.Escape(c.ToString()));

    private static void AppendBracketLiteral(StringBuilder output, char c) => output.Append(BracketLiteral(c));

    /// <summary>A character literal inside a .NET character class: only <c>\ ] [ ^ -</c> need escaping there.</summary>
    private static string BracketLiteral(char c) => c is '\\' or ']' or '[' or '^' or '-' ? "\\" + c : c.ToString();
}
