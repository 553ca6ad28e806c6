using System.Text;
using System.Text.Json;

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

    /// <summary>JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?. PostgreSQL output always fits it, bar the specials.</summary>
    internal static bool IsJsonNumber(ReadOnlySpan<char> s)
    {
        var i = 0;
        if (i < s.Length && s[i] == '-')
        {
            i++;
        }

        if (i >= s.Length || !char.IsAsciiDigit(s[i]))
        {
            return false;
        }

        if (s[i] == '0')
        {
            i++;
        }
        else
        {
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }
        }

        if (i < s.Length && s[i] == '.' && !SkipDigits(s, ref i, signAllowed: false))
        {
            return false;
        }

        if (i < s.Length && (s[i] == 'e' || s[i] == 'E') && !SkipDigits(s, ref i, signAllowed: true))
        {
            return false;
        }

        return i == s.Length;
    }

    /// <summary>Steps over the marker at <paramref name="i"/> ('.' or 'e'), an optional sign, then at least one digit.</summary>
    private static bool SkipDigits(ReadOnlySpan<char> s, ref int i, bool signAllowed)
    {
        i++;
        if (signAllowed && i < s.Length && (s[i] == '+' || s[i] == '-'))
        {
            i++;
        }

        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        return i > start;
    }

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
