using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// <c>POST /object/list/B</c> (docs/protocol/tus-and-storage.md §List): one "directory" level under a prefix, folders
/// as name-only entries, as the caller (RLS SELECT filters what is seen).
/// </summary>
/// <remarks>
/// The level is walked as a loose index scan over <c>(bucket_id, name collate "C")</c>: each step seeks the first
/// name after the previous entry, and after a folder <c>p/x/</c> it jumps straight to <c>p/x0</c> (<c>'0'</c> is the
/// byte after <c>'/'</c>), so a folder with a million objects costs one index probe, not a million rows: a listing
/// costs one probe per entry of the level, never per object below it. Entries are then sorted as upstream does
/// (name on <c>lower(name) collate "C"</c>); walk order cannot be used directly because <c>b-x.txt</c> sorts before the
/// folder <c>b/</c> by bytes but after the entry <c>b</c>.
/// </remarks>
internal static class ListRoute
{
    private const int MaxLimit = 1500; // upstream caps the SQL limit here

    private const string Sql =
        """
        with recursive walk as (
          (select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata
             from storage.objects o
            where o.bucket_id = $1 and o.name collate "C" >= $2 and ($3::text is null or o.name collate "C" < $3)
            order by o.name collate "C" limit 1)
          union all
          select n.* from walk w cross join lateral (
            select o.name, o.id, o.updated_at, o.created_at, o.last_accessed_at, o.metadata
              from storage.objects o
             where o.bucket_id = $1
               and o.name collate "C" >= case when strpos(substr(w.name, $4), '/') > 0
                                              then $2 || split_part(substr(w.name, $4), '/', 1) || '0'
                                              else w.name || chr(1) end
               and ($3::text is null or o.name collate "C" < $3)
             order by o.name collate "C" limit 1) n
        ), entries as (
          select split_part(substr(name, $4), '/', 1) as entry, strpos(substr(name, $4), '/') > 0 as folder,
                 id, updated_at, created_at, last_accessed_at, metadata
            from walk
        ), shown as (
          select entry, folder, case when folder then null else id end as id,
                 case when folder then null else updated_at end as updated_at,
                 case when folder then null else created_at end as created_at,
                 case when folder then null else last_accessed_at end as last_accessed_at,
                 case when folder then null else metadata end as metadata
            from entries
        )
        select entry, folder, id, updated_at, created_at, last_accessed_at, metadata::text
          from shown
         where $5 = '' or starts_with(lower(entry), lower($5))
        """;

    public static async Task ListAsync(HttpContext context, StorageServices services, string bucketId)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var body = document.RootElement;
        if (body.GetString("prefix") is not { } prefix)
        {
            throw StorageException.InvalidRequest("body must have required property 'prefix'");
        }

        prefix = prefix.TrimStart('/');
        if (prefix.Length > 0 && !prefix.EndsWith('/'))
        {
            prefix += "/";
        }

        var limit = (int)Math.Clamp(body.GetInt64("limit") ?? 100, 1, MaxLimit);
        var offset = (int)Math.Max(body.GetInt64("offset") ?? 0, 0);
        var search = body.GetString("search") ?? "";
        var sortBy = body.TryGetProperty("sortBy", out var s) ? s : default;
        var column = sortBy.GetString("column") ?? "name";
        var descending = (sortBy.GetString("order") ?? "asc").Equals("desc", StringComparison.OrdinalIgnoreCase);
        var orderBy = column switch
        {
            "name" => $" order by lower(entry) collate \"C\" {(descending ? "desc" : "asc")}, entry collate \"C\" {(descending ? "desc" : "asc")}",
            "updated_at" or "created_at" or "last_accessed_at" => $" order by {column} {(descending ? "desc" : "asc")} nulls first, lower(entry) collate \"C\", entry collate \"C\"",
            _ => throw StorageException.InvalidRequest("sortBy.column must be name, updated_at, created_at or last_accessed_at"),
        };

        var entries = new List<ListEntry>();
        await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.object.list", context.RequestAborted))
        {
            await using var command = scope.CreateCommand(Sql + orderBy + " limit $6 offset $7");
            command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
            command.Parameters.Add(new NpgsqlParameter { Value = prefix });
            command.Parameters.Add(new NpgsqlParameter { Value = prefix.Length == 0 ? DBNull.Value : prefix[..^1] + "0", NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = prefix.Length + 1 });
            command.Parameters.Add(new NpgsqlParameter { Value = search });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
            command.Parameters.Add(new NpgsqlParameter { Value = offset });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                var folder = reader.GetBoolean(1);
                entries.Add(new ListEntry(reader.GetString(0), folder,
                    folder ? null : reader.GetGuid(2),
                    folder ? null : reader.GetFieldValue<DateTimeOffset>(3),
                    folder ? null : reader.GetFieldValue<DateTimeOffset>(4),
                    folder || reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
                    folder || reader.IsDBNull(6) ? null : reader.GetString(6)));
            }
        }

        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartArray();
            foreach (var entry in entries)
            {
                entry.WriteTo(json);
            }

            json.WriteEndArray();
        });
    }
}
