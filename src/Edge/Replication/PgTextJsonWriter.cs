using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace MadBase.Edge.Replication;

/// <summary>
/// Writes a column's PostgreSQL text output as the JSON value <c>to_jsonb(value)</c> would produce, which is what
/// Supabase Realtime sends: numbers as numbers (NaN/Infinity as strings), booleans, json/jsonb embedded, arrays as
/// JSON arrays (NULL elements kept), timestamps in ISO form, everything else as a string. Relies on the walsender
/// GUCs the stream pins (UTC, ISO dates, hex bytea, shortest-exact floats).
/// </summary>
internal static class PgTextJsonWriter
{
    public static void Write(Utf8JsonWriter json, string text, PgTypeDescriptor type, ReplicationCatalog catalog)
    {
        switch (type.Style)
        {
            case JsonValueStyle.Boolean:
                if (text is "t" or "f")
                {
                    json.WriteBooleanValue(text == "t");
                }
                else
                {
                    json.WriteStringValue(text);
                }

                break;
            case JsonValueStyle.Number:
                if (IsJsonNumber(text))
                {
                    json.WriteRawValue(text, skipInputValidation: true);
                }
                else
                {
                    json.WriteStringValue(text); // NaN, Infinity, -Infinity
                }

                break;
            case JsonValueStyle.Json:
                WriteEmbeddedJson(json, text);
                break;
            case JsonValueStyle.Timestamp:
                json.WriteStringValue(IsoTimestamp(text, withZone: false));
                break;
            case JsonValueStyle.TimestampTz:
                json.WriteStringValue(IsoTimestamp(text, withZone: true));
                break;
            case JsonValueStyle.Array:
                PgArrayLiteral.Write(json, text, catalog.GetType(type.ElementOid), catalog);
                break;
            default:
                json.WriteStringValue(text);
                break;
        }
    }

    /// <summary>
    /// <see cref="Write"/> straight from the value's UTF-8 bytes, for the styles that need no parsing into a string:
    /// the same JSON without a string per value (a 200,000-row burst made one per value and column). False, having
    /// written nothing, for json/jsonb and arrays and for bytes that are not valid UTF-8 (the string path writes those
    /// as the replacement character).
    /// </summary>
    public static bool TryWriteUtf8(Utf8JsonWriter json, ReadOnlySpan<byte> utf8, PgTypeDescriptor type)
    {
        if (type.Style is JsonValueStyle.Json or JsonValueStyle.Array || !Utf8.IsValid(utf8))
        {
            return false;
        }

        switch (type.Style)
        {
            case JsonValueStyle.Boolean when utf8.SequenceEqual("t"u8) || utf8.SequenceEqual("f"u8):
                json.WriteBooleanValue(utf8[0] == (byte)'t');
                return true;
            case JsonValueStyle.Number when IsJsonNumber(utf8):
                json.WriteRawValue(utf8, skipInputValidation: true);
                return true;
            case JsonValueStyle.Timestamp or JsonValueStyle.TimestampTz:
                return TryWriteIsoTimestamp(json, utf8, withZone: type.Style == JsonValueStyle.TimestampTz);
            default:
                json.WriteStringValue(utf8); // text, the specials of numbers (NaN, Infinity), booleans PostgreSQL did not print as t/f
                return true;
        }
    }

    /// <summary>JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?. PostgreSQL output always fits it, bar the specials.</summary>
    internal static bool IsJsonNumber(ReadOnlySpan<char> s) => IsJsonNumber<char>(s);

    /// <inheritdoc cref="IsJsonNumber(ReadOnlySpan{char})"/>
    internal static bool IsJsonNumber(ReadOnlySpan<byte> utf8) => IsJsonNumber<byte>(utf8);

    private static bool IsJsonNumber<T>(ReadOnlySpan<T> s)
        where T : IBinaryInteger<T>
    {
        var i = 0;
        if (i < s.Length && Is(s[i], '-'))
        {
            i++;
        }

        if (i >= s.Length || !IsDigit(s[i]))
        {
            return false;
        }

        if (Is(s[i], '0'))
        {
            i++;
        }
        else
        {
            while (i < s.Length && IsDigit(s[i]))
            {
                i++;
            }
        }

        if (i < s.Length && Is(s[i], '.') && !SkipDigits(s, ref i, signAllowed: false))
        {
            return false;
        }

        if (i < s.Length && (Is(s[i], 'e') || Is(s[i], 'E')) && !SkipDigits(s, ref i, signAllowed: true))
        {
            return false;
        }

        return i == s.Length;
    }

    /// <summary>Steps over the marker at <paramref name="i"/> ('.' or 'e'), an optional sign, then at least one digit.</summary>
    private static bool SkipDigits<T>(ReadOnlySpan<T> s, ref int i, bool signAllowed)
        where T : IBinaryInteger<T>
    {
        i++;
        if (signAllowed && i < s.Length && (Is(s[i], '+') || Is(s[i], '-')))
        {
            i++;
        }

        var start = i;
        while (i < s.Length && IsDigit(s[i]))
        {
            i++;
        }

        return i > start;
    }

    private static bool Is<T>(T c, char ascii)
        where T : IBinaryInteger<T> => uint.CreateTruncating(c) == ascii;

    private static bool IsDigit<T>(T c)
        where T : IBinaryInteger<T> => uint.CreateTruncating(c) - '0' <= 9;

    /// <summary>
    /// <c>2024-02-29 13:45:01.5</c> → <c>2024-02-29T13:45:01.5</c>; with a zone, <c>+00</c> → <c>+00:00</c>
    /// (the ISO form to_jsonb prints). BC dates and ±infinity stay as PostgreSQL printed them.
    /// </summary>
    internal static string IsoTimestamp(string text, bool withZone)
    {
        if (text.Length < 19 || text[10] != ' ' || text.EndsWith(" BC", StringComparison.Ordinal))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 3);
        builder.Append(text, 0, 10).Append('T').Append(text, 11, text.Length - 11);
        if (withZone)
        {
            var sign = text.LastIndexOfAny(['+', '-']);
            if (sign > 18 && text.Length - sign == 3)
            {
                builder.Append(":00");
            }
        }

        return builder.ToString();
    }

    /// <summary><see cref="IsoTimestamp"/> on UTF-8 bytes, written as a JSON string; false (nothing written) for text over 64 bytes.</summary>
    private static bool TryWriteIsoTimestamp(Utf8JsonWriter json, ReadOnlySpan<byte> text, bool withZone)
    {
        if (text.Length < 19 || text[10] != (byte)' ' || text.EndsWith(" BC"u8))
        {
            json.WriteStringValue(text);
            return true;
        }

        if (text.Length > 64)
        {
            return false;
        }

        Span<byte> iso = stackalloc byte[text.Length + 3];
        text.CopyTo(iso);
        iso[10] = (byte)'T';
        var length = text.Length;
        if (withZone)
        {
            var sign = text.LastIndexOfAny((byte)'+', (byte)'-');
            if (sign > 18 && text.Length - sign == 3)
            {
                ":00"u8.CopyTo(iso[length..]);
                length += 3;
            }
        }

        json.WriteStringValue(iso[..length]);
        return true;
    }

    private static void WriteEmbeddedJson(Utf8JsonWriter json, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        try
        {
            var reader = new Utf8JsonReader(bytes);
            if (reader.Read())
            {
                reader.Skip();
            }

            if (!reader.Read())
            {
                json.WriteRawValue(bytes, skipInputValidation: false);
                return;
            }
        }
        catch (JsonException)
        {
        }

        json.WriteStringValue(text); // Not one JSON value: never emit invalid JSON to clients.
    }
}
