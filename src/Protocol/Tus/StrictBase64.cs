using System.Buffers.Text;

namespace MadBase.Protocol.Tus;

/// <summary>
/// Canonical base64 checks for the TUS headers. The BCL decoders skip whitespace and accept non-zero pad bits,
/// so the same bytes could arrive under many spellings; here exactly one spelling per byte string is accepted,
/// which keeps <c>decode(encode(x)) == x</c> and <c>encode(decode(s)) == s</c> both true.
/// </summary>
internal static class StrictBase64
{
    /// <summary>
    /// RFC 4648 §4 (alphabet <c>A–Z a–z 0–9 + /</c>), padded to a multiple of 4 with <c>=</c>, pad bits zero.
    /// The empty string decodes to no bytes.
    /// </summary>
    public static bool TryDecodePadded(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 != 0)
        {
            return false;
        }

        var padding = text.EndsWith("==") ? 2 : text.EndsWith("=") ? 1 : 0;
        var data = text[..^padding];
        if (!IsCanonical(data, urlAlphabet: false))
        {
            return false;
        }

        bytes = new byte[(text.Length / 4 * 3) - padding];
        return Convert.TryFromBase64Chars(text, bytes, out var written) && written == bytes.Length;
    }

    /// <summary>
    /// RFC 4648 §5 (alphabet <c>A–Z a–z 0–9 - _</c>) without padding, pad bits zero. A length of 1 mod 4
    /// cannot come from any byte string and is rejected.
    /// </summary>
    public static bool TryDecodeUrlUnpadded(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = [];
        if (text.Length % 4 == 1 || !IsCanonical(text, urlAlphabet: true))
        {
            return false;
        }

        // Each char carries 6 bits; the spare bits are zero, so floor(6n / 8) bytes exactly.
        bytes = new byte[(int)((long)text.Length * 3 / 4)];
        return Base64Url.TryDecodeFromChars(text, bytes, out var written) && written == bytes.Length;
    }

    /// <summary>
    /// Every char is in the alphabet, and the bits the last char carries beyond the last whole byte are zero
    /// (2 spare bits when 3 chars end the group, 4 when 2 chars do).
    /// </summary>
    private static bool IsCanonical(ReadOnlySpan<char> data, bool urlAlphabet)
    {
        var last = 0;
        foreach (var c in data)
        {
            last = ValueOf(c, urlAlphabet);
            if (last < 0)
            {
                return false;
            }
        }

        return (data.Length % 4) switch
        {
            0 => true,
            2 => (last & 0b1111) == 0,
            3 => (last & 0b11) == 0,
            _ => false,
        };
    }

    private static int ValueOf(char c, bool urlAlphabet) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' when !urlAlphabet => 62,
        '/' when !urlAlphabet => 63,
        '-' when urlAlphabet => 62,
        '_' when urlAlphabet => 63,
        _ => -1,
    };
}
