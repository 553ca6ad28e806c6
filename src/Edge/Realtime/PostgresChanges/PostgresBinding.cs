using System.Text.Json;
using MadBase.Edge.Realtime.Collections;
using MadBase.Edge.Replication;

namespace MadBase.Edge.Realtime.PostgresChanges;

/// <summary>
/// One element of a join's <c>postgres_changes</c> list: which events of which table(s) a channel wants, with an
/// optional row filter, and the integer id the client matches events by
/// (docs/protocol/realtime.md §Binding ids in the join reply).
/// </summary>
internal sealed class PostgresBinding
{
    public const string Wildcard = "*";

    private PostgresBinding(int id, string events, string schema, string table, ChangeFilter[] filters, byte[] replyJson)
    {
        Id = id;
        IdAsArray = [id];
        Events = events;
        Schema = schema;
        Table = table;
        Filters = filters;
        ReplyJson = replyJson;
    }

    /// <summary>
    /// A hash of the element as the client sent it, in upstream's 0…2^27−1 range (it uses <c>phash2</c> of the params):
    /// every channel that asks for the same thing gets the same id, so one change's frame head can be shared by all
    /// of them (the change router).
    /// </summary>
    public int Id { get; }

    /// <summary><c>[Id]</c>, shared: the ids of a delivery that matched only this binding (never mutated).</summary>
    public int[] IdAsArray { get; }

    /// <summary><c>*</c>, <c>INSERT</c>, <c>UPDATE</c> or <c>DELETE</c> (upper-cased; unknown values become <c>*</c>).</summary>
    public string Events { get; }

    public string Schema { get; }

    /// <summary>A table name, or <c>*</c> for every table of <see cref="Schema"/>.</summary>
    public string Table { get; }

    /// <summary>Row filters, all of which must pass (upstream's comma-separated AND); empty = every row.</summary>
    public ChangeFilter[] Filters { get; }

    /// <summary>
    /// An app's own cursor (MadBase's extension, passed through unmodified by realtime-js): the <c>commit_timestamp</c>
    /// of the last change it processed. The join first receives every held change committed at or after it (the
    /// whole last transaction again: at least once), then live ones; or a <c>system</c> error when the server no
    /// longer holds that far back.
    /// </summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>
    /// The <c>select</c> column list (realtime-js ≥ 2.109), sorted and without duplicates so bindings asking for the
    /// same columns in another order share frames; null = every column. The key columns are always sent as well
    /// (docs/protocol/realtime.md §Column selection and privileges).
    /// </summary>
    public string[]? Select { get; init; }

    /// <summary><see cref="Select"/> as one comparable string ("" = every column): deliveries group by it.</summary>
    public string SelectKey { get; init; } = "";

    /// <summary>The element exactly as the client sent it plus <c>"id":N</c>, for the join reply.</summary>
    public byte[] ReplyJson { get; }

    /// <summary>
    /// Parses one element. Returns null with <paramref name="error"/> set when the element is unusable; a filter
    /// that does not parse still yields the binding's reply JSON through <paramref name="replyJson"/> so the
    /// reply keeps the client's order (the error goes out as a <c>system</c> message, the channel stays joined).
    /// </summary>
    public static PostgresBinding? Parse(byte[] element, out byte[] replyJson, out string? error)
    {
        var id = IdOf(element);
        replyJson = AppendId(element, id);
        string? events = null, schema = null, table = null, filterText = null, sinceText = null;
        List<string>? select = null;
        var selectNotList = false;
        try
        {
            var reader = new Utf8JsonReader(element);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "Unable to subscribe to changes with given parameters: each postgres_changes entry must be an object";
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var field = reader.ValueTextEquals("event"u8) ? 1 : reader.ValueTextEquals("schema"u8) ? 2 : reader.ValueTextEquals("table"u8) ? 3 : reader.ValueTextEquals("filter"u8) ? 4 : reader.ValueTextEquals("since"u8) ? 5 : reader.ValueTextEquals("select"u8) ? 6 : 0;
                reader.Read();
                if (field == 6)
                {
                    selectNotList = reader.TokenType == JsonTokenType.String;
                    select = ReadSelect(ref reader);
                    continue;
                }

                var value = field != 0 && reader.TokenType == JsonTokenType.String ? SharedStrings.Get(ref reader) : null;
                reader.Skip();
                switch (field)
                {
                    case 1:
                        events = value;
                        break;
                    case 2:
                        schema = value;
                        break;
                    case 3:
                        table = value;
                        break;
                    case 4:
                        filterText = value;
                        break;
                    case 5:
                        sinceText = value ?? "";
                        break;
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a value that does not transcode to a string, e.g. an escaped lone surrogate
            // "\ud800" in valid UTF-8 JSON (found by fuzzing; it used to fail the whole socket with 1011).
            error = "Unable to subscribe to changes with given parameters: malformed postgres_changes entry";
            return null;
        }

        if (string.IsNullOrEmpty(schema))
        {
            error = "Unable to subscribe to changes with given parameters: schema is required";
            return null;
        }

        table = string.IsNullOrEmpty(table) ? Wildcard : table;
        if (selectNotList)
        {
            error = "Error parsing `select` params: expected a list of column name strings, e.g. select: [\"col1\", \"col2\"]";
            return null;
        }

        if (select is not null && (schema == Wildcard || table == Wildcard))
        {
            error = "Column selection is not supported for wildcard subscriptions. Provide an explicit schema and table name.";
            return null;
        }

        var filters = new List<ChangeFilter>();
        foreach (var part in SplitTopLevel(filterText ?? ""))
        {
            if (!ChangeFilter.TryParse(part, out var filter, out var filterError))
            {
                error = filterError;
                return null;
            }

            filters.Add(filter!);
        }

        DateTimeOffset? since = null;
        if (sinceText is not null)
        {
            if (!DateTimeOffset.TryParse(sinceText, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
            {
                error = "Unable to subscribe to changes with given parameters: since must be a commit_timestamp";
                return null;
            }

            since = parsed;
        }

        var normalizedEvents = events is null ? Wildcard
            : events.Equals("INSERT", StringComparison.OrdinalIgnoreCase) ? "INSERT"
            : events.Equals("UPDATE", StringComparison.OrdinalIgnoreCase) ? "UPDATE"
            : events.Equals("DELETE", StringComparison.OrdinalIgnoreCase) ? "DELETE"
            : Wildcard;
        error = null;
        return new PostgresBinding(id, normalizedEvents, schema, table, [.. filters], replyJson)
        {
            Since = since,
            Select = select is null ? null : [.. select.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            SelectKey = select is null ? "" : string.Join('\u001f', select.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)),
        };
    }

    public bool Matches(ChangeEvent change)
    {
        if (change.Kind == ChangeKind.Truncate)
        {
            return false; // never delivered: the client only knows INSERT/UPDATE/DELETE
        }

        if (Events != Wildcard && !string.Equals(Events, KindName(change.Kind), StringComparison.Ordinal))
        {
            return false;
        }

        foreach (var filter in Filters)
        {
            if (!filter.Matches(change))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Upstream keeps the strings of a <c>select</c> array and ignores anything else in it; an array without strings
    /// means no selection. Returns null for no selection (or a non-array, which the caller reports).
    /// </summary>
    private static List<string>? ReadSelect(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return null;
        }

        var columns = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                columns.Add(reader.GetString()!);
            }
            else
            {
                reader.Skip();
            }
        }

        return columns.Count == 0 ? null : columns;
    }

    /// <summary>Splits at commas outside <c>(…)</c> and <c>"…"</c>, so <c>in.(1,2)</c> stays one filter.</summary>
    private static List<string> SplitTopLevel(string text)
    {
        var parts = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }
            else if (c == ',' && depth == 0)
            {
                parts.Add(text[start..i]);
                start = i + 1;
            }
        }

        if (text.Length > 0)
        {
            parts.Add(text[start..]);
        }

        return parts.Where(p => p.Trim().Length > 0).ToList();
    }

    public static string KindName(ChangeKind kind) => kind switch
    {
        ChangeKind.Insert => "INSERT",
        ChangeKind.Update => "UPDATE",
        ChangeKind.Delete => "DELETE",
        _ => "TRUNCATE",
    };

    /// <summary>Stable across processes and restarts (XxHash32 of the element's bytes, masked to 27 bits).</summary>
    public static int IdOf(ReadOnlySpan<byte> element) =>
        (int)(System.IO.Hashing.XxHash32.HashToUInt32(element.Trim(" \t\r\n"u8)) & 0x7FFFFFF);

    /// <summary><c>{…}</c> → <c>{…,"id":N}</c>, keeping every byte the client sent (the client compares fields).</summary>
    private static byte[] AppendId(byte[] element, int id)
    {
        var text = element.AsSpan().TrimEnd(" \t\r\n"u8);
        var idJson = System.Text.Encoding.ASCII.GetBytes("\"id\":" + id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}");
        if (text.IsEmpty || text[^1] != (byte)'}')
        {
            return [.. "{"u8, .. idJson];
        }

        var body = text[..^1].TrimEnd(" \t\r\n"u8);
        var empty = body.Length == 1; // just "{"
        return [.. body, .. (empty ? ""u8 : ","u8), .. idJson];
    }
}
