using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// <c>POST /object/list-v2/B</c> (storage-js <c>listV2</c>; docs/protocol/tus-and-storage.md §List V2): full key names
/// under a prefix, a page at a time with an opaque cursor, flat or (<c>with_delimiter</c>) grouped into folders at the
/// first <c>/</c> after the prefix. Runs as the caller, so RLS SELECT decides what is seen.
/// </summary>
/// <remarks>
/// <para>The prefix is taken as given (not completed with <c>/</c>, unlike <c>list</c>): <c>prefix: "a"</c> lists
/// <c>a.txt</c> and the folder <c>ab/</c>, as upstream does.</para>
/// <para>Sorted by name with folders, the page is a loose index scan over <c>(bucket_id, name collate "C")</c>: one
/// probe per entry, jumping over each folder's contents (to <c>a/b0</c> after <c>a/b/</c>; <c>'0'</c> is the byte after
/// <c>'/'</c>), so a page costs its length in probes whatever the folders hold. Sorted by a timestamp with folders,
/// each folder's time is the earliest <c>created_at</c> inside it (upstream's rule), which needs every row under the
/// prefix: that mode costs the prefix's size, as upstream's does.</para>
/// <para>Invariant: one more entry than the limit is read; its presence is <c>hasNext</c>, and the cursor names the
/// last entry returned, so pages neither overlap nor skip (for rows not changed between the calls).</para>
/// </remarks>
internal static class ListV2Route
{
    private const int MaxLimit = 1000; // upstream's cap

    private const string Columns = "o.name, false as folder, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata::text";

    /// <summary>Rows of the bucket whose name starts with $2 ($3: the first string after that range, when known).</summary>
    private const string InRange =
        """o.bucket_id = $1 and o.name collate "C" >= $2 and ($3::text is null or o.name collate "C" < $3) and starts_with(o.name, $2)""";

    /// <summary>The folder (with its slash) a name falls in at this level, or null for a file at this level.</summary>
    private const string FolderOf =
        "case when strpos(substr({0}, length($2) + 1), '/') > 0 then left({0}, length($2) + strpos(substr({0}, length($2) + 1), '/')) end";

    public static async Task ListAsync(HttpContext context, StorageServices services, string bucketId)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var body = document.RootElement;
        var prefix = body.GetString("prefix") ?? "";
        var requested = body.GetInt64("limit");
        if (requested is < 1)
        {
            throw StorageException.InvalidRequest("body/limit must be >= 1");
        }

        var limit = (int)Math.Min(requested ?? MaxLimit, MaxLimit);
        var delimited = body.GetBoolean("with_delimiter") ?? false;
        var sortBy = body.TryGetProperty("sortBy", out var s) ? s : default;
        var cursor = body.GetString("cursor") is { Length: > 0 } c ? ListV2Cursor.Decode(c) : (ListV2Cursor?)null;
        var column = cursor?.Column ?? sortBy.GetString("column") ?? "name";
        var order = (cursor?.Order ?? sortBy.GetString("order") ?? "asc").ToLowerInvariant();
        if (column is not ("name" or "updated_at" or "created_at"))
        {
            throw StorageException.InvalidRequest("body/sortBy/column must be equal to one of the allowed values");
        }

        if (order is not ("asc" or "desc"))
        {
            throw StorageException.InvalidRequest("body/sortBy/order must be equal to one of the allowed values");
        }

        var descending = order == "desc";
        var sql = column != "name"
            ? ByTimestampSql(column, descending, delimited, cursor is not null)
            : delimited ? FoldersByNameSql(descending) : FlatByNameSql(descending, cursor is not null);

        var entries = new List<ListEntry>(Math.Min(limit + 1, 64));
        await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.object.list_v2", context.RequestAborted))
        {
            await using var command = scope.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
            command.Parameters.Add(new NpgsqlParameter { Value = prefix });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)UpperBound(prefix) ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = (object?)Seek(cursor, column, delimited, descending, prefix) ?? DBNull.Value,
                NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text,
            });
            command.Parameters.Add(new NpgsqlParameter
            {
                Value = cursor is { ColumnAfter: { Length: > 0 } after } && DateTimeOffset.TryParse(after, System.Globalization.CultureInfo.InvariantCulture,
                    System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at)
                    ? at : DateTimeOffset.UnixEpoch,
            });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                entries.Add(new ListEntry(reader.GetString(0), reader.GetBoolean(1),
                    reader.IsDBNull(2) ? null : reader.GetGuid(2),
                    reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        var hasNext = entries.Count > limit;
        if (hasNext)
        {
            entries.RemoveRange(limit, entries.Count - limit);
        }

        string? nextCursor = null, nextCursorKey = null;
        if (hasNext)
        {
            var last = entries[^1];
            var lastAt = column == "updated_at" ? last.Updated : column == "created_at" ? last.Created : null;
            nextCursor = new ListV2Cursor(last.Name, order, cursor?.Column ?? sortBy.GetString("column"),
                lastAt is { } t ? ObjectMetadata.FormatTimestamp(t) : null).Encode();
            nextCursorKey = last.Folder ? last.Name[..^1] : last.Name; // upstream's: a folder without its slash
        }

        var level = prefix.Length == 0 ? 1 : prefix.Split('/').Length;
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteBoolean("hasNext", hasNext);
            if (nextCursor is not null)
            {
                json.WriteString("nextCursor", nextCursor);
                json.WriteString("nextCursorKey", nextCursorKey);
            }

            foreach (var folders in (ReadOnlySpan<bool>)[true, false])
            {
                json.WriteStartArray(folders ? "folders" : "objects");
                foreach (var e in entries)
                {
                    if (e.Folder == folders)
                    {
                        e.WriteTo(json, delimited ? Key(e, level) : null);
                    }
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
        });
    }

    /// <summary>Upstream's <c>key</c>: the entry's segment at the prefix's depth (<c>b</c> for <c>a/b/</c> under <c>a/</c>).</summary>
    private static string Key(ListEntry e, int level)
    {
        var parts = (e.Folder ? e.Name[..^1] : e.Name).Split('/');
        return level <= parts.Length ? parts[level - 1] : "";
    }

    /// <summary>
    /// The first string after every name starting with <paramref name="prefix"/> in byte order: the prefix with its
    /// last character moved up by one. Null when there is none to compute (empty prefix, or a last character whose
    /// successor is not a plain BMP character); the range is then closed by <c>starts_with</c> alone.
    /// </summary>
    private static string? UpperBound(string prefix)
    {
        if (prefix.Length == 0 || prefix[^1] is >= '\uD7FF' and <= '\uDFFF' or '\uFFFF')
        {
            return null;
        }

        return string.Concat(prefix.AsSpan(0, prefix.Length - 1), ((char)(prefix[^1] + 1)).ToString());
    }

    /// <summary>Where a name-ordered page starts ($5). Ascending: names ≥ it; descending: names &lt; it.</summary>
    private static string? Seek(ListV2Cursor? cursor, string column, bool delimited, bool descending, string prefix)
    {
        if (cursor is not { StartAfter: { Length: > 0 } start })
        {
            return column != "name" || !delimited ? null : descending ? UpperBound(prefix) : prefix;
        }

        if (column != "name" || !delimited || descending)
        {
            return start; // strict comparisons in the SQL; descending: below a folder is below its whole content
        }

        // Ascending past a folder skips its content (a/b/ → a/b0); past a file, the next name up (chr(1) is the
        // smallest character a name can have after it).
        return start.EndsWith('/') ? string.Concat(start.AsSpan(0, start.Length - 1), "0") : start + "\u0001";
    }

    private static string FlatByNameSql(bool descending, bool hasCursor)
    {
        var direction = descending ? "desc" : "asc";
        var after = hasCursor ? $""" and o.name collate "C" {(descending ? "<" : ">")} $5""" : "";
        return $"""
            select {Columns} from storage.objects o
             where {InRange}{after}
             order by o.name collate "C" {direction}
             limit $4
            """;
    }

    private static string FoldersByNameSql(bool descending)
    {
        var (direction, first, next) = descending
            ? ("desc", """($5::text is null or o.name collate "C" < $5)""", """o.name collate "C" < coalesce(""" + string.Format(null, FolderOf, "w.name") + ", w.name)")
            : ("asc", """o.name collate "C" >= $5""",
               """o.name collate "C" >= coalesce(left(""" + string.Format(null, FolderOf, "w.name") + ", -1) || '0', w.name || chr(1))");
        var folder = string.Format(null, FolderOf, "name");
        return $"""
            with recursive walk as (
              (select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata from storage.objects o
                where {InRange} and {first}
                order by o.name collate "C" {direction} limit 1)
              union all
              select n.* from walk w cross join lateral (
                select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata from storage.objects o
                 where {InRange} and {next}
                 order by o.name collate "C" {direction} limit 1) n
            )
            select coalesce({folder}, name), {folder} is not null,
                   case when {folder} is null then id end, case when {folder} is null then updated_at end,
                   case when {folder} is null then created_at end, case when {folder} is null then last_accessed_at end,
                   case when {folder} is null then metadata::text end
              from walk
             limit $4
            """;
    }

    /// <summary>
    /// Sorted by a timestamp (truncated to milliseconds, the cursor's precision), then name. With folders, a folder's
    /// time is the earliest <c>created_at</c> under it, for both columns (upstream's rule).
    /// </summary>
    private static string ByTimestampSql(string column, bool descending, bool delimited, bool hasCursor)
    {
        var direction = descending ? "desc" : "asc";
        var after = hasCursor
            ? $"""(date_trunc('milliseconds', coalesce({column}, 'epoch')), name collate "C") {(descending ? "<" : ">")} ($6, $5)"""
            : "true";
        var folder = string.Format(null, FolderOf, "o.name");
        var entries = delimited
            ? $"""
              select folder as name, true as folder, null::uuid as id, min(created_at) as updated_at,
                     min(created_at) as created_at, null::timestamptz as last_accessed_at, null::text as metadata
                from raw where folder is not null group by folder
              union all
              select name, false, id, updated_at, created_at, last_accessed_at, metadata from raw where folder is null
              """
            : "select name, false as folder, id, updated_at, created_at, last_accessed_at, metadata from raw";
        return $"""
            with raw as (
              select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata::text as metadata,
                     {folder} as folder
                from storage.objects o where {InRange}
            ), entries as (
              {entries}
            )
            select name, folder, id, updated_at, created_at, last_accessed_at, metadata from entries
             where {after}
             order by date_trunc('milliseconds', coalesce({column}, 'epoch')) {direction}, name collate "C" {direction}
             limit $4
            """;
    }
}
