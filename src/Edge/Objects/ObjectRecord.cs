using System.Globalization;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace MadBase.Edge.Objects;

/// <summary>One <c>storage.objects</c> row (the columns the API reads); JSON columns stay as text to be passed through.</summary>
internal sealed record ObjectRecord(
    Guid Id,
    string BucketId,
    string Name,
    Guid? Owner,
    string? OwnerId,
    string? Version,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastAccessedAt,
    string? MetadataJson,
    string? UserMetadataJson)
{
    /// <summary>The select list <see cref="Read"/> expects, in order.</summary>
    public const string Columns =
        "id, bucket_id, name, owner, owner_id, version, created_at, updated_at, last_accessed_at, metadata::text, user_metadata::text";

    public ObjectMetadata Metadata { get; } = ObjectMetadata.Parse(MetadataJson, UpdatedAt);

    public static ObjectRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetGuid(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetString(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
        reader.IsDBNull(9) ? null : reader.GetString(9),
        reader.IsDBNull(10) ? null : reader.GetString(10));
}

/// <summary>
/// The system metadata Supabase keeps in <c>objects.metadata</c>:
/// <c>{"eTag","size","mimetype","cacheControl","lastModified","contentLength","httpStatusCode"}</c>
/// (docs/protocol/tus-and-storage.md §Object metadata).
/// </summary>
internal sealed record ObjectMetadata(string ETag, long Size, string MimeType, string CacheControl, DateTimeOffset LastModified)
{
    public string ToJson()
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("eTag", ETag);
            json.WriteNumber("size", Size);
            json.WriteString("mimetype", MimeType);
            json.WriteString("cacheControl", CacheControl);
            json.WriteString("lastModified", FormatTimestamp(LastModified));
            json.WriteNumber("contentLength", Size);
            json.WriteNumber("httpStatusCode", 200);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>JavaScript's <c>toISOString()</c> form, which is what Supabase stores and clients parse.</summary>
    public static string FormatTimestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Reads what a row holds; rows written by other tools may lack fields, so each has a fallback.</summary>
    public static ObjectMetadata Parse(string? json, DateTimeOffset fallbackTime)
    {
        string etag = "", mime = "application/octet-stream", cache = "no-cache";
        long size = 0;
        var modified = fallbackTime;
        if (string.IsNullOrEmpty(json))
        {
            return new ObjectMetadata(etag, size, mime, cache, modified);
        }

        try
        {
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new ObjectMetadata(etag, size, mime, cache, modified);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "eTag" when reader.TokenType == JsonTokenType.String:
                        etag = reader.GetString()!;
                        break;
                    case "size" when reader.TokenType == JsonTokenType.Number:
                        size = reader.TryGetInt64(out var s) ? s : 0;
                        break;
                    case "mimetype" when reader.TokenType == JsonTokenType.String:
                        mime = reader.GetString()!;
                        break;
                    case "cacheControl" when reader.TokenType == JsonTokenType.String:
                        cache = reader.GetString()!;
                        break;
                    case "lastModified" when reader.TokenType == JsonTokenType.String:
                        if (DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var m))
                        {
                            modified = m;
                        }

                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // Keep the fallbacks: a hand-edited row must not make the object unreadable.
        }

        return new ObjectMetadata(etag, size, mime, cache, modified);
    }
}
