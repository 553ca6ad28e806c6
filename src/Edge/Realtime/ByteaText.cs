namespace MadBase.Edge.Realtime;

/// <summary>
/// bytea's text output back to bytes, as the replication stream delivers column values: <c>\x</c> + hex (the default
/// <c>bytea_output</c>), or the <c>escape</c> format (printable bytes as is, <c>\\</c> for a backslash, <c>\ooo</c>
/// octal for the rest).
/// </summary>
internal static class ByteaText
{
    /// <summary>The bytes, or null when <paramref name="text"/> is not valid bytea output.</summary>
    public static byte[]? Decode(string text)
    {
        if (text.StartsWith("\\x", StringComparison.Ordinal))
        {
            try
            {
                return Convert.FromHexString(text.AsSpan(2));
            }
            catch (FormatException)
            {
                return null;
            }
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c > 0xFF)
            {
                return null; // escape output is ASCII (non-ASCII bytes are octal-escaped)
            }

            if (c != '\\')
            {
                bytes.Add((byte)c);
            }
            else if (i + 1 < text.Length && text[i + 1] == '\\')
            {
                bytes.Add((byte)'\\');
                i++;
            }
            else if (i + 3 < text.Length && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) && IsOctal(text[i + 3]))
            {
                bytes.Add((byte)(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) | (text[i + 3] - '0')));
                i += 3;
            }
            else
            {
                return null;
            }
        }

        return [.. bytes];

        static bool IsOctal(char c) => c is >= '0' and <= '7';
    }
}
