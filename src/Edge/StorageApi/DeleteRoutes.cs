using System.Text.Json;
using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary>Object deletes (docs/protocol/tus-and-storage.md §Move, copy and delete), as the caller: DELETE (+ SELECT
/// for the returned rows) policies decide.</summary>
internal static class DeleteRoutes
{
    private const int MaxNames = 1000;

    /// <summary><c>DELETE /object/B</c> <c>{"prefixes":[…]}</c>: exact names; the ones the caller cannot delete are just absent from the result.</summary>
    public static async Task DeleteManyAsync(HttpContext context, StorageServices services, string bucketId)
    {
        var caller = services.RequireCaller(context);
        using var document = await StorageHttp.ReadJsonAsync(context);
        if (!document.RootElement.TryGetProperty("prefixes", out var prefixes) || prefixes.ValueKind != JsonValueKind.Array)
        {
            throw StorageException.InvalidRequest("body must have required property 'prefixes'");
        }

        var names = prefixes.EnumerateArray().Select(p => p.GetString() ?? "").Where(n => n.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        if (names.Length is 0 or > MaxNames)
        {
            throw StorageException.InvalidRequest($"prefixes must hold 1 to {MaxNames} names");
        }

        var deleted = await services.Objects.DeleteAsync(bucketId, names, caller, context.RequestAborted);
        await StorageHttp.WriteJsonAsync(context, 200, json =>
        {
            json.WriteStartArray();
            foreach (var row in deleted)
            {
                WriteRow(json, row);
            }

            json.WriteEndArray();
        });
    }

    /// <summary><c>DELETE /object/B/P</c>: 404 if the object does not exist, 403 if it exists but the caller may not delete it.</summary>
    public static async Task DeleteOneAsync(HttpContext context, StorageServices services, ObjectTarget target)
    {
        var caller = services.RequireCaller(context);
        if (await services.Objects.FindAsync(target.Bucket, target.Name, null, "storage.object.delete", context.RequestAborted) is null)
        {
            throw StorageException.ObjectNotFound();
        }

        var deleted = await services.Objects.DeleteAsync(target.Bucket, [target.Name], caller, context.RequestAborted);
        if (deleted.Count == 0)
        {
            throw StorageException.Unauthorized("Access denied (deleting needs DELETE and SELECT policies on storage.objects)");
        }

        await StorageHttp.WriteMessageAsync(context, "Successfully deleted");
    }

    public static void WriteRow(Utf8JsonWriter json, ObjectRecord row)
    {
        json.WriteStartObject();
        json.WriteString("name", row.Name);
        json.WriteString("bucket_id", row.BucketId);
        json.WriteString("owner", row.Owner?.ToString() ?? row.OwnerId ?? "");
        json.WriteString("owner_id", row.OwnerId);
        json.WriteString("version", row.Version);
        json.WriteString("id", row.Id.ToString());
        json.WriteTimestamp("updated_at", row.UpdatedAt);
        json.WriteTimestamp("created_at", row.CreatedAt);
        json.WriteTimestamp("last_accessed_at", row.LastAccessedAt);
        json.WriteRawOrNull("metadata", row.MetadataJson);
        json.WriteRawOrNull("user_metadata", row.UserMetadataJson);
        json.WriteEndObject();
    }
}
