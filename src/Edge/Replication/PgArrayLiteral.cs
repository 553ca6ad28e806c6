using System.Text;
using System.Text.Json;

namespace MadBase.Edge.Replication;

/// <summary>
/// Parses PostgreSQL's array text output (<c>{1,2,NULL}</c>, <c>{{1,2},{3,4}}</c>, <c>{"a b","c\"d"}</c>,
/// <c>[0:1]={1,2}</c>) into a JSON array, converting each element with its element type.
/// </summary>
/// <remarks>
/// Grammar (PostgreSQL docs, "Array Value Input/Output"): optional dimension decoration <c>[lo:hi]…=</c>, then
/// <c>{</c> elements separated by the element type's delimiter <c>}</c>. Unquoted <c>NULL</c> (any case) is SQL NULL;
/// quoted elements use <c>\"</c> and <c>\\</c> escapes. Malformed text (it cannot come from PostgreSQL) is written as a
/// plain string rather than guessed at.
/// </remarks>
internal static class PgArrayLiteral
{
    public static void Write(Utf8JsonWriter json, string text, PgTypeDescriptor element, ReplicationCatalog catalog)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        if (start < 0 || (start > 0 && text[start - 1] != '='))
        {
            json.WriteStringValue(text);
            return;
        }

        // Validate by parsing into a scratch writer first, so a malformed literal never leaves half an array behind.
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(text.Length + 16);
        using (var scratch = new Utf8JsonWriter(buffer))
        {
            var i = start;
            if (!TryWriteLevel(scratch, text, ref i, element, catalog) || i != text.Length)
            {
                json.WriteStringValue(text);
                return;
            }
        }

        json.WriteRawValue(buffer.WrittenSpan, skipInputValidation: true);
    }

    private static bool TryWriteLevel(Utf8JsonWriter json, string text, ref int i, PgTypeDescriptor element, ReplicationCatalog catalog)
    {
        var delimiter = element.Delimiter;
        i++; // '{'
        json.WriteStartArray();
        if (i < text.Length && text[i] == '}')
        {
            i++;
            json.WriteEndArray();
            return true;
        }

        while (i < text.Length)
        {
            if (text[i] == '{')
            {
                if (!TryWriteLevel(json, text, ref i, element, catalog))
                {
                    return false;
                }
            }
            else if (text[i] == '"')
            {
                var value = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }

                    value.Append(text[i]);
                    i++;
                }

                if (i >= text.Length)
                {
                    return false;
                }

                i++; // closing quote
                PgTextJsonWriter.Write(json, value.ToString(), element, catalog);
            }
            else
            {
                var begin = i;
                while (i < text.Length && text[i] != delimiter && text[i] != '}')
                {
                    i++;
                }

                var raw = text.AsSpan(begin, i - begin).Trim();
                if (raw.Equals("NULL", StringComparison.OrdinalIgnoreCase))
                {
                    json.WriteNullValue();
                }
                else
                {
                    PgTextJsonWriter.Write(json, raw.ToString(), element, catalog);
                }
            }

            if (i >= text.Length)
            {
                return false;
            }

            if (text[i] == delimiter)
            {
                i++;
                continue;
            }

            if (text[i] == '}')
            {
                i++;
                json.WriteEndArray();
                return true;
            }

            return false;
        }

        return false;
    }
}
