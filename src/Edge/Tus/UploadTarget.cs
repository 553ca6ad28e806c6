using System.Globalization;
using System.Text.Json;
using MadBase.Edge.Objects;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

/// <summary>
/// What Supabase's TUS metadata says the upload becomes (docs/protocol/tus-and-storage.md §TUS metadata): <c>bucketName</c> and
/// <c>objectName</c> (required), <c>contentType</c> (falls back to Uppy's <c>filetype</c>), <c>cacheControl</c>
/// (integer seconds become <c>max-age=N</c>, anything else <c>no-cache</c>) and <c>metadata</c> (a JSON object
/// becomes <c>user_metadata</c>; anything else is ignored, as upstream does).
/// </summary>
internal sealed record UploadTarget(string BucketId, string ObjectName, string ContentType, string CacheControl, string? UserMetadataJson)
{
    public const string DefaultContentType = "application/octet-stream";

    /// <summary>Upstream caps user metadata at 1 MiB; it lives in a header here, so the metadata limit bounds it first.</summary>
    private const int MaxUserMetadataBytes = 1024 * 1024;

    public static UploadTarget FromMetadata(TusMetadata metadata)
    {
        if (!metadata.TryGetString("bucketName", out var bucket) || bucket.Length == 0)
        {
            throw TusStateErrors.BadRequest("Upload-Metadata must contain bucketName");
        }

        if (!metadata.TryGetString("objectName", out var name) || name.Length == 0)
        {
            throw TusStateErrors.BadRequest("Upload-Metadata must contain objectName");
        }

        if (!ObjectKeys.IsValidBucketName(bucket))
        {
            throw TusStateErrors.BadRequest("Invalid bucketName: '" + bucket + "'");
        }

        if (ObjectKeys.ValidateName(name) is { } problem)
        {
            throw TusStateErrors.BadRequest("Invalid key: " + problem);
        }

        var contentType = metadata.TryGetString("contentType", out var ct) && ct.Length > 0 ? ct
            : metadata.TryGetString("filetype", out var ft) && ft.Length > 0 ? ft
            : DefaultContentType;

        var cacheControl = metadata.TryGetString("cacheControl", out var cc)
            && long.TryParse(cc, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
                ? "max-age=" + seconds.ToString(CultureInfo.InvariantCulture)
                : "no-cache";

        string? userMetadata = null;
        if (metadata.TryGetString("metadata", out var json) && json.Length is > 0 and <= MaxUserMetadataBytes)
        {
            try
            {
                using var document = JsonDocument.Parse(json);
                userMetadata = document.RootElement.ValueKind == JsonValueKind.Object ? json : null;
            }
            catch (JsonException)
            {
                // Upstream ignores user metadata that is not JSON; so do we.
            }
        }

        return new UploadTarget(bucket, name, contentType, cacheControl, userMetadata);
    }
}
