using System.Text;

namespace MadBase.Protocol.Phoenix;

/// <summary>
/// Minimal RFC 8259 string escaping for the envelope fields the server writes (topic, event, refs): only <c>"</c>,
/// <c>\</c> and C0 controls are escaped, everything else goes out as raw UTF-8 (realtime-js decodes it with
/// <c>JSON.parse</c>; HTML-safe escaping would only add bytes). Length is exact, so frame headers can be written first.
/// </summary>
internal static class PhoenixJson
{
    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>Encoded length including the quotes; null encodes as <c>null</c>.</summary>
    public static int GetStringLength(string? value)
    {
        if (value is null)
        {
            return 4;
        }

        int length = 2;
        ReadOnlySpan<char> rest = value;
        while (!rest.IsEmpty)
        {
            Rune.DecodeFromUtf16(rest, out Rune rune, out int consumed); // lone surrogates decode as U+FFFD
            rest = rest.Slice(consumed);
            length += rune.Value switch
            {
                '"' or '\\' or '\b' or '\f' or '\n' or '\r' or '\t' => 2,
                < 0x20 => 6,
                _ => rune.Utf8SequenceLength,
            };
        }

        return length;
    }

    /// <summary>Writes <paramref name="value"/> as a JSON string token (or <c>null</c>); returns bytes written.</summary>
    public static int WriteString(Span<byte> destination, string? value)
    {
        if (value is null)
        {
            "null"u8.CopyTo(destination);
            return 4;
        }

        int at = 0;
        destination[at++] = (byte)'"';
        ReadOnlySpan<char> rest = value;
        while (!rest.IsEmpty)
        {
            Rune.DecodeFromUtf16(rest, out Rune rune, out int consumed);
            rest = rest.Slice(consumed);
            int v = rune.Value;
            char shortEscape = v switch
            {
                '"' => '"',
                '\\' => '\\',
                '\b' => 'b',
                '\f' => 'f',
                '\n' => 'n',
                '\r' => 'r',
                '\t' => 't',
                _ => '\0',
            };
            if (shortEscape != '\0')
            {
                destination[at++] = (byte)'\\';
                destination[at++] = (byte)shortEscape;
            }
            else if (v < 0x20)
            {
                // \u00XX for the remaining C0 controls.
                "\\u00"u8.CopyTo(destination.Slice(at));
                destination[at + 4] = HexDigits[v >> 4];
                destination[at + 5] = HexDigits[v & 0xF];
                at += 6;
            }
            else
            {
                at += rune.EncodeToUtf8(destination.Slice(at));
            }
        }

        destination[at++] = (byte)'"';
        return at;
    }
}
