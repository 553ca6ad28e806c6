using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MadBase.Edge.Auth;

/// <summary>What a signed URL token grants: one <see cref="Url"/> (<c>bucket/name</c>) for one <see cref="Scope"/> until <see cref="ExpiresAt"/>.</summary>
internal sealed record SignedUrlClaims(string Url, string Scope, DateTimeOffset ExpiresAt, string? Owner, bool Upsert);

/// <summary>
/// Tokens of signed download and upload URLs (docs/protocol/tus-and-storage.md §Signed URLs): HS256 JWTs under the
/// project secret with claims <c>{url, scope: "download"|"upload", iat, exp[, owner, upsert]}</c>. They deliberately
/// carry no <c>role</c>, so <c>Jwt.TryValidate</c> refuses them as bearer tokens: a signed URL can never act as
/// a session. TUS's <c>/upload/resumable/sign</c> accepts the same upload tokens (in <c>x-signature</c>) via
/// <see cref="TryValidate"/>.
/// </summary>
internal sealed class SignedUrlTokens(byte[] secret, Jwt jwt, TimeProvider time)
{
    public const string DownloadScope = "download";
    public const string UploadScope = "upload";

    public string Create(string scope, string url, TimeSpan lifetime, string? owner = null, bool upsert = false)
    {
        var now = time.GetUtcNow();
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("url", url);
            json.WriteString("scope", scope);
            if (scope == UploadScope)
            {
                if (owner is not null)
                {
                    json.WriteString("owner", owner);
                }

                json.WriteBoolean("upsert", upsert);
            }

            json.WriteNumber("iat", now.ToUnixTimeSeconds());
            json.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        return jwt.Sign(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>
    /// Verifies signature, expiry, scope and that the token was issued for <paramref name="url"/>; on failure
    /// <paramref name="error"/> says which (shown to the client).
    /// </summary>
    public bool TryValidate(string? token, string scope, string url, out SignedUrlClaims claims, out string error)
    {
        claims = null!;
        if (string.IsNullOrEmpty(token) || token.Length > 16 * 1024)
        {
            error = "missing or oversized token";
            return false;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !TryDecode(parts[0], out var header) || !TryDecode(parts[1], out var payload) || !TryDecode(parts[2], out var signature))
        {
            error = "malformed token";
            return false;
        }

        if (!Jwt.HeaderIsHs256(header))
        {
            error = "unsupported token algorithm (only HS256)";
            return false;
        }

        var expected = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(token.AsSpan(0, parts[0].Length + 1 + parts[1].Length).ToString()));
        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            error = "invalid signature";
            return false;
        }

        if (!TryRead(payload, out claims))
        {
            error = "malformed token claims";
            return false;
        }

        if (claims.ExpiresAt <= time.GetUtcNow())
        {
            error = "the signed URL has expired";
            return false;
        }

        if (claims.Scope != scope)
        {
            error = $"the token is for {claims.Scope}, not {scope}";
            return false;
        }

        if (claims.Url != url)
        {
            error = "the token was not issued for this object";
            return false;
        }

        error = "";
        return true;
    }

    private static bool TryRead(byte[] payload, out SignedUrlClaims claims)
    {
        claims = null!;
        string? url = null, scope = null, owner = null;
        long? exp = null;
        var upsert = false;
        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "url" when reader.TokenType == JsonTokenType.String:
                        url = reader.GetString();
                        break;
                    case "scope" when reader.TokenType == JsonTokenType.String:
                        scope = reader.GetString();
                        break;
                    case "owner" when reader.TokenType == JsonTokenType.String:
                        owner = reader.GetString();
                        break;
                    case "upsert" when reader.TokenType is JsonTokenType.True or JsonTokenType.False:
                        upsert = reader.GetBoolean();
                        break;
                    case "exp" when reader.TokenType == JsonTokenType.Number:
                        exp = reader.TryGetInt64(out var e) ? e : null;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        if (url is null || scope is null || exp is null)
        {
            return false;
        }

        claims = new SignedUrlClaims(url, scope, DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(exp.Value, 0, 253402300799)), owner, upsert);
        return true;
    }

    // Jwt's decoder: Base64Url.TryDecodeFromChars throws FormatException on a character outside the alphabet, which
    // turned a tampered token (`token=a!b.c.d`) into a 500 instead of a refusal.
    private static bool TryDecode(string segment, out byte[] bytes)
    {
        var decoded = Jwt.DecodeSegment(segment);
        bytes = decoded ?? [];
        return decoded is not null;
    }
}
