using System.Text;
using System.Text.Json;
using MadBase.Edge.Auth;

namespace MadBase.Edge.Tus;

/// <summary>
/// Who is asking: a verified session JWT (<c>Authorization: Bearer</c>), or — on <c>/upload/resumable/sign</c> — a
/// signed upload token from <c>x-signature</c>, which acts as the server (service role, as upstream) for the one
/// object it names, with the owner and upsert flag the token carries.
/// </summary>
internal sealed record UploadCaller(JwtClaims Claims, string? SignedUrl, bool? SignedUpsert)
{
    public string? OwnerId => Claims.Subject;

    public bool IsService => Claims.IsServiceRole;

    /// <summary>
    /// The caller for a signed token: service role (bypasses RLS, as upstream's signed routes do) with the token's
    /// owner as <c>sub</c>, so the completed row records who asked for the signed URL.
    /// </summary>
    public static UploadCaller FromSignedToken(SignedUrlClaims token)
    {
        using var buffer = new MemoryStream(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("role", "service_role");
            if (token.Owner is not null)
            {
                json.WriteString("sub", token.Owner);
            }

            json.WriteEndObject();
        }

        var raw = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        return new UploadCaller(new JwtClaims("service_role", token.Owner, null, token.ExpiresAt, raw), token.Url, token.Upsert);
    }

    /// <summary>Who may touch an existing upload: its creator, or the service role.</summary>
    public bool MayAccess(UploadRecord record)
    {
        if (SignedUrl is not null)
        {
            return record.BucketId is not null && SignedUrl == record.BucketId + "/" + record.ObjectName;
        }

        return IsService || (record.Role != "service_role" && string.Equals(record.OwnerId, OwnerId, StringComparison.Ordinal) && record.Role == Claims.Role);
    }

    /// <summary>The claims an upload was created with, to act as that caller when it completes (the JWT may have expired since).</summary>
    public static JwtClaims ActorOf(UploadRecord record) => new(record.Role, record.OwnerId, null, null, record.Claims);
}
