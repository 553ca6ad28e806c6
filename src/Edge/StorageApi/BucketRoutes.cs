using System.Text.Json;
using MadBase.Edge.Objects;
using Npgsql;
using NpgsqlTypes;

namespace MadBase.Edge.StorageApi;

/// <summary><c>/bucket</c> routes (docs/protocol/tus-and-storage.md §Buckets), each as the caller so bucket RLS
/// policies apply.</summary>
internal static class BucketRoutes
{
    public static async Task<bool> RouteAsync(HttpContext context, StorageServices services, string method, string? tail)
    {
        if (string.IsNullOrEmpty(tail))
        {
            if (HttpMethods.IsGet(method))
            {
                await ListAsync(context, services);
                return true;
            }

            if (HttpMethods.IsPost(method))
            {
                await CreateAsync(context, services);
                return true;
            }

            return false;
        }

        if (tail.EndsWith("/empty", StringComparison.Ordinal) && HttpMethods.IsPost(method))
        {
            await BucketEmptyRoute.EmptyAsync(context, services, StorageApiEndpoints.Decode(tail[..^"/empty".Length]));
            return true;
        }

        var id = StorageApiEndpoints.Decode(tail);
        if (HttpMethods.IsGet(method))
        {
            await GetAsync(context, services, id);
        }
        else if (HttpMethods.IsPut(method))
        {
            await UpdateAsync(context, services, id);
        }
        else if (HttpMethods.IsDelete(method))
        {
            await DeleteAsync(context, services, id);
        }
        else
        {
            return false;
        }

        return true;
    }

    private static async Task ListAsync(HttpContext context, StorageServices services)
    {
        var caller = services.RequireCaller(context);
        var query = context.Request.Query;
        var limit = ParseQueryInt(query["limit"], 1, int.MaxValue);
        var offset = ParseQueryInt(query["offset"], 0, int.MaxValue) ?? 0;
        var column = query["sortColumn"].ToString() switch
        {
            "" => null,
            "id" => "id",
            "name" => "name",
            "created_at" => "created_at",
            "updated_at" => "updated_at",
            var other => throw StorageException.InvalidRequest($"sortColumn must be id, name, created_at or updated_at, not '{other}'"),
        };
        var order = query["sortOrder"].ToString().Equals("desc", StringComparison.OrdinalIgnoreCase) ? "desc" : "asc";
        var search = query["search"].ToString();

        var buckets = new List<BucketRecord>();
        await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.list", context.RequestAborted))
        {
            await using var command = scope.CreateCommand(
                $"select {BucketRecord.Columns} from storage.buckets where ($1 = '' or name ilike '%' || $1 || '%')"
                + (column is null ? "" : $" order by {column} {order}")
                + " limit $2 offset $3");
            command.Parameters.Add(new NpgsqlParameter { Value = EscapeLike(search) });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)limit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = offset });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            while (await reader.ReadAsync(context.RequestAborted))
            {
                buckets.Add(BucketRecord.Read(reader));
            }
        }

        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartArray();
            foreach (var bucket in buckets)
            {
                WriteBucket(json, bucket, withType: true);
            }

            json.WriteEndArray();
        });
    }

    private static async Task GetAsync(HttpContext context, StorageServices services, string id)
    {
        var caller = services.RequireCaller(context);
        BucketRecord? bucket;
        await using (var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.get", context.RequestAborted))
        {
            await using var command = scope.CreateCommand($"select {BucketRecord.Columns} from storage.buckets where id = $1");
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            bucket = await reader.ReadAsync(context.RequestAborted) ? BucketRecord.Read(reader) : null;
        }

        if (bucket is null)
        {
            throw StorageException.BucketNotFound();
        }

        await StorageHttp.WriteJsonAsync(context, 200, json => WriteBucket(json, bucket, withType: false));
    }

    private static async Task CreateAsync(HttpContext context, StorageServices services)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var body = document.RootElement;
        var name = body.RequireString("name");
        var id = body.GetString("id") ?? name;
        if (!ObjectKeys.IsValidBucketName(id) || !ObjectKeys.IsValidBucketName(name))
        {
            throw StorageException.InvalidBucketName();
        }

        var sizeLimit = ParseSizeLimit(body, services.GlobalMaxSize, out _);
        var mimeTypes = ParseMimeTypes(body, out _);
        var type = body.GetString("type") ?? "STANDARD";
        if (type is not "STANDARD")
        {
            throw StorageException.InvalidRequest($"bucket type {type} is not supported (only STANDARD)");
        }

        await using var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.create", context.RequestAborted);
        await using var command = scope.CreateCommand(
            """
            insert into storage.buckets (id, name, owner, owner_id, public, file_size_limit, allowed_mime_types)
            values ($1, $2, $3, $4, $5, $6, $7)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)caller.SubjectUuid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)caller.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = body.GetBoolean("public") ?? false });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sizeLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)mimeTypes ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        try
        {
            await command.ExecuteNonQueryAsync(context.RequestAborted);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw StorageException.BucketExists();
        }
        catch (PostgresException ex) when (StorageDb.Translate(ex, "creating a bucket needs an INSERT policy on storage.buckets") is { } error)
        {
            throw error;
        }

        await services.Objects.CommitAsync(scope, context.RequestAborted);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartObject();
            json.WriteString("name", id);
            json.WriteEndObject();
        });
    }

    private static async Task UpdateAsync(HttpContext context, StorageServices services, string id)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        var body = document.RootElement;
        var isPublic = body.GetBoolean("public");
        var sizeLimit = ParseSizeLimit(body, services.GlobalMaxSize, out var sizeGiven);
        var mimeTypes = ParseMimeTypes(body, out var mimeGiven);
        if (isPublic is null && !sizeGiven && !mimeGiven)
        {
            throw StorageException.InvalidRequest("body must have at least one of public, file_size_limit, allowed_mime_types");
        }

        await using var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.update", context.RequestAborted);
        await using var command = scope.CreateCommand(
            """
            update storage.buckets set
              public = coalesce($2, public),
              file_size_limit = case when $3 then $4 else file_size_limit end,
              allowed_mime_types = case when $5 then $6 else allowed_mime_types end,
              updated_at = now()
            where id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)isPublic ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter { Value = sizeGiven });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sizeLimit ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = mimeGiven });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)mimeTypes ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        int updated;
        try
        {
            updated = await command.ExecuteNonQueryAsync(context.RequestAborted);
        }
        catch (PostgresException ex) when (StorageDb.Translate(ex, "updating a bucket needs an UPDATE policy on storage.buckets") is { } error)
        {
            throw error;
        }

        if (updated == 0)
        {
            throw StorageException.BucketNotFound();
        }

        await services.Objects.CommitAsync(scope, context.RequestAborted);
        await StorageHttp.WriteMessageAsync(context, "Successfully updated");
    }

    private static async Task DeleteAsync(HttpContext context, StorageServices services, string id)
    {
        var caller = services.RequireCaller(context);
        await using var scope = await StorageDb.BeginAsync(services.DataSource, caller, "storage.bucket.delete", context.RequestAborted);
        await StorageDb.AllowDeletesAsync(scope, context.RequestAborted);
        await using var command = scope.CreateCommand("delete from storage.buckets where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        int deleted;
        try
        {
            deleted = await command.ExecuteNonQueryAsync(context.RequestAborted);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            // objects.bucket_id references the bucket: the database itself refuses to orphan objects.
            throw StorageException.BucketNotEmpty();
        }
        catch (PostgresException ex) when (StorageDb.Translate(ex, "deleting a bucket needs a DELETE policy on storage.buckets") is { } error)
        {
            throw error;
        }

        if (deleted == 0)
        {
            throw StorageException.BucketNotFound();
        }

        await services.Objects.CommitAsync(scope, context.RequestAborted);
        await StorageHttp.WriteMessageAsync(context, "Successfully deleted");
    }

    private static void WriteBucket(Utf8JsonWriter json, BucketRecord bucket, bool withType)
    {
        json.WriteStartObject();
        json.WriteString("id", bucket.Id);
        json.WriteString("name", bucket.Name);
        json.WriteString("owner", bucket.Owner?.ToString() ?? bucket.OwnerId ?? "");
        json.WriteBoolean("public", bucket.Public);
        if (withType)
        {
            json.WriteString("type", bucket.Type);
        }

        if (bucket.FileSizeLimit is { } limit)
        {
            json.WriteNumber("file_size_limit", limit);
        }
        else
        {
            json.WriteNull("file_size_limit");
        }

        json.WritePropertyName("allowed_mime_types");
        if (bucket.AllowedMimeTypes is { } types)
        {
            json.WriteStartArray();
            foreach (var type in types)
            {
                json.WriteStringValue(type);
            }

            json.WriteEndArray();
        }
        else
        {
            json.WriteNullValue();
        }

        json.WriteTimestamp("created_at", bucket.CreatedAt);
        json.WriteTimestamp("updated_at", bucket.UpdatedAt);
        json.WriteEndObject();
    }

    /// <summary><c>file_size_limit</c>: a number, a size string like "1MB", or null (no bucket limit); never above the global cap.</summary>
    private static long? ParseSizeLimit(JsonElement body, long globalMax, out bool given)
    {
        given = body.TryGetProperty("file_size_limit", out var value);
        if (!given || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        long bytes;
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n))
        {
            bytes = n;
        }
        else if (value.ValueKind == JsonValueKind.String && ByteSize.TryParse(value.GetString()!, out var parsed))
        {
            bytes = parsed;
        }
        else
        {
            throw StorageException.InvalidRequest("file_size_limit must be a byte count or a size such as \"5MB\"");
        }

        if (bytes < 0)
        {
            throw StorageException.InvalidRequest("file_size_limit must not be negative");
        }

        return bytes > globalMax ? throw StorageException.EntityTooLarge() : bytes == 0 ? null : bytes;
    }

    private static string[]? ParseMimeTypes(JsonElement body, out bool given)
    {
        given = body.TryGetProperty("allowed_mime_types", out var value);
        if (!given || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw StorageException.InvalidRequest("allowed_mime_types must be an array of strings");
        }

        var types = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            var type = item.ValueKind == JsonValueKind.String ? item.GetString()!.Trim() : throw StorageException.InvalidRequest("allowed_mime_types must be an array of strings");
            if (type.Length == 0)
            {
                continue;
            }

            if (type != "*" && !type.Contains('/', StringComparison.Ordinal))
            {
                throw StorageException.InvalidRequest($"allowed_mime_types entry '{type}' is not type/subtype, type/* or *");
            }

            types.Add(type);
        }

        return [.. types];
    }

    private static int? ParseQueryInt(string? value, int min, int max) =>
        string.IsNullOrEmpty(value) ? null
        : int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? n
        : throw StorageException.InvalidRequest($"query value '{value}' must be an integer ≥ {min}");

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
