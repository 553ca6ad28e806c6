using System.Text;
using System.Text.RegularExpressions;
using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// The postgres_changes subscription parameters: the <c>filter</c> string, the POSIX regex translation behind
/// match/imatch (compiled and run against a fuzzed value), the typed comparison behind lt/gt, and a whole
/// postgres_changes JSON element. All answer "refused" with an error text, never by throwing.
/// </summary>
/// <remarks>Input: mode byte, then UTF-8 text; modes 1 and 2 split it at the first NUL into two strings.</remarks>
internal static class FilterHarness
{
    private static readonly string[] s_types = ["int4", "int8", "numeric", "float8", "bool", "uuid", "timestamptz", "date", "text"];

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var rest = input[1..];
        var text = Encoding.UTF8.GetString(rest);
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        var (first, second) = nul < 0 ? (text, "") : (text[..nul], text[(nul + 1)..]);
        switch (input[0] % 4)
        {
            case 0:
                var ok = ChangeFilter.TryParse(text, out var parsed, out var error);
                if (ok != parsed is not null || (!ok && error.Length == 0))
                {
                    throw new FuzzFindingException("TryParse's result, filter and error disagree");
                }

                break;
            case 1:
                if (PosixRegex.TryCreate(first, ignoreCase: (input[0] & 4) != 0, out var regex, out _))
                {
                    if (!Matches(regex!, second) && !Matches(regex!, second))
                    {
                        throw new FuzzFindingException($"a {first.Length}-character pattern timed out twice on a {second.Length}-character value");
                    }
                }

                break;
            case 2:
                ChangeFilter.Compare(s_types[(input.Length > 1 ? input[1] : 0) % s_types.Length], first, second);
                break;
            default:
                PostgresBinding.Parse(rest.ToArray(), out _, out _);
                break;
        }
    }

    /// <summary>
    /// False on a match timeout. PosixRegex now compiles without one (a timeout could only drop a matching row
    /// silently; the engine is linear), so this holds only for a regex built elsewhere with a timeout.
    /// </summary>
    private static bool Matches(Regex regex, string value)
    {
        try
        {
            regex.IsMatch(value);
            return true;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
