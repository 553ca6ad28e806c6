using System.Globalization;
using System.Text.RegularExpressions;

namespace MadBase.Edge.Configuration;

/// <summary>
/// Sizes as Supabase accepts them for <c>file_size_limit</c>: a byte count, or <c>&lt;n&gt;(.&lt;m&gt;)?(B|KB|MB|GB)</c>
/// with decimal units (1 KB = 1000 B), as upstream parses them.
/// </summary>
internal static partial class ByteSize
{
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var match = SizePattern().Match(text.Trim());
        if (!match.Success)
        {
            return false;
        }

        if (!decimal.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        var multiplier = match.Groups[2].Value.ToUpperInvariant() switch
        {
            "KB" => 1_000m,
            "MB" => 1_000_000m,
            "GB" => 1_000_000_000m,
            _ => 1m,
        };
        try
        {
            bytes = (long)decimal.Floor(value * multiplier);
        }
        catch (OverflowException)
        {
            return false;
        }

        return true;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SizePattern();
}
