using Npgsql;

namespace MadBase.Edge.Objects;

/// <summary>One <c>storage.buckets</c> row.</summary>
internal sealed record BucketRecord(
    string Id,
    string Name,
    Guid? Owner,
    string? OwnerId,
    bool Public,
    long? FileSizeLimit,
    string[]? AllowedMimeTypes,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string Type)
{
    public const string Columns =
        "id, name, owner, owner_id, coalesce(public, false), file_size_limit, allowed_mime_types, created_at, updated_at, type::text";

    public static BucketRecord Read(NpgsqlDataReader reader) => new(
        reader.GetString(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetGuid(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetBoolean(4),
        reader.IsDBNull(5) ? null : reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<string[]>(6),
        reader.GetFieldValue<DateTimeOffset>(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetString(9));
}
