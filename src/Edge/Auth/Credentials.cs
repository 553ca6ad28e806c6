namespace MadBase.Edge.Auth;

/// <summary>How a presented credential was judged.</summary>
internal enum CredentialCheck
{
    /// <summary>A valid JWT, or one of the node's opaque keys.</summary>
    Valid,

    /// <summary>Nothing was presented.</summary>
    Missing,

    /// <summary>A token that is not a valid JWT under the project secret (expired, forged, malformed…).</summary>
    InvalidToken,

    /// <summary>An <c>sb_…</c> key that is not one of the node's (a typo, a deleted key, another project's).</summary>
    UnknownApiKey,
}

/// <summary>
/// Which credential a request acts as, by the rule Supabase's gateway applies before Realtime and Storage see a
/// request (docs/protocol/tus-and-storage.md §API keys) — MadBase is its own gateway, so the rule lives here once:
/// <list type="number">
/// <item><c>Authorization: Bearer &lt;token&gt;</c> whose token is not an opaque key: that token, read as a JWT (a
/// user's session, or a legacy key sent as bearer).</item>
/// <item>Otherwise the API key (the <c>apikey</c> header, or the socket's <c>x-api-key</c> / <c>apikey</c> parameter):
/// an <c>sb_…</c> key is matched against <see cref="ApiKeys"/>; anything else is read as a JWT (the legacy JWT-based
/// anon and service_role keys).</item>
/// </list>
/// A bearer <c>sb_…</c> key is never used by itself: older supabase-js sends its key as bearer too, and the
/// <c>apikey</c> beside it decides, as the gateway does.
/// </summary>
internal static class Credentials
{
    /// <summary>One API key on its own (the realtime socket's): an opaque key or a JWT.</summary>
    /// <param name="text">The shared string the session keeps: the JWT's text, or for an opaque key only its kind
    /// (<see cref="ApiKeys.PublishablePrefix"/> or <see cref="ApiKeys.SecretPrefix"/>) — never the key itself.</param>
    public static CredentialCheck CheckKey(Jwt jwt, ApiKeys keys, ReadOnlySpan<char> key, out string text, out JwtClaims claims, out string error)
    {
        if (!ApiKeys.IsOpaque(key))
        {
            if (jwt.TryValidate(key, out text, out claims, out error))
            {
                return CredentialCheck.Valid;
            }

            return key.IsEmpty ? CredentialCheck.Missing : CredentialCheck.InvalidToken;
        }

        if (keys.TryMatch(key, out claims))
        {
            text = claims.IsServiceRole ? ApiKeys.SecretPrefix : ApiKeys.PublishablePrefix;
            error = "";
            return CredentialCheck.Valid;
        }

        text = "";
        error = "unknown API key";
        return CredentialCheck.UnknownApiKey;
    }

    /// <summary>An HTTP request's <c>Authorization</c> header and API key, by the gateway's rule above.</summary>
    public static CredentialCheck CheckRequest(Jwt jwt, ApiKeys keys, string? authorization, string? apiKey, out JwtClaims claims, out string error)
    {
        var bearer = BearerToken(authorization);
        if (bearer.Length > 0 && !ApiKeys.IsOpaque(bearer))
        {
            if (jwt.TryValidate(bearer, out _, out claims, out error))
            {
                return CredentialCheck.Valid;
            }

            return CredentialCheck.InvalidToken;
        }

        return CheckKey(jwt, keys, apiKey.AsSpan().Trim(), out _, out claims, out error);
    }

    /// <summary>The token of <c>Authorization: Bearer &lt;token&gt;</c> (scheme in any case), else empty.</summary>
    private static ReadOnlySpan<char> BearerToken(string? authorization) =>
        authorization is { Length: > 7 } && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization.AsSpan(7).Trim()
            : [];
}
