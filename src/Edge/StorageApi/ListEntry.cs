using System.Text.Json;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// One row of a list answer (<c>list</c> and <c>list-v2</c>): an object, or a folder with only its name. Written in
/// upstream's shape, with v2's <c>key</c> first when the listing is delimited.
/// </summary>
internal readonly record struct ListEntry(string Name, bool Folder, Guid? Id, DateTimeOffset? Updated, DateTimeOffset? Created,
    DateTimeOffset? Accessed, string? Metadata)
{
    public void WriteTo(Utf8JsonWriter json, string? key = null)
    {
        json.WriteStartObject();
        if (key is not null)
        {
            json.WriteString("key", key);
        }

        json.WriteString("name", Name);
        json.WriteString("id", Id?.ToString());
        json.WriteTimestamp("updated_at", Updated);
        json.WriteTimestamp("created_at", Created);
        json.WriteTimestamp("last_accessed_at", Accessed);
        json.WriteRawOrNull("metadata", Metadata);
        json.WriteEndObject();
    }
}
