using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace MadBase.Edge.Auth;

/// <summary>
/// HS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form): <c>base64url(header).base64url(claims).base64url(hmac)</c>.
/// Only HS256 is accepted — <c>alg: none</c> and every other algorithm are refused, so a token can never choose
/// how it is checked; so is a header naming <c>alg</c> twice or carrying <c>crit</c> extensions (RFC 7515 §4.1.11:
/// none are understood here). The signature is compared with <see cref="CryptographicOperations.FixedTimeEquals"/>.
/// </summary>
/// <remarks>
/// Verified tokens are remembered by their text: thousands of sockets and requests present the same few tokens (the
/// anon key above all), and a hit skips the base64, HMAC and JSON work, allocates nothing and shares one
/// <see cref="JwtClaims"/> (and one token string) among all of them. <c>exp</c> is still checked on every use. The
/// memory is bounded: the table is emptied when it reaches <see cref="MaxRemembered"/>, so a flood of distinct valid
/// tokens costs re-verification, never memory. Refused tokens are never remembered.
/// <para>
/// Time claims: <c>exp</c> is exact (a token is refused from its <c>exp</c> second on). <c>nbf</c> is honoured with
/// <see cref="ClockLeeway"/>: a token issued by a clock up to that much ahead is accepted, one that is not valid yet
/// beyond it is refused ("token is not valid yet") and never remembered, so it is accepted once its time comes.
/// </para>
/// </remarks>
internal sealed class Jwt
{
    private const int MaxTokenLength = 16 * 1024; // Tokens are headers and query strings; nothing legitimate is larger.
    private const int MaxRemembered = 4096;

    /// <summary>How far ahead of ours an issuer's clock may be for <c>nbf</c> (docs/protocol/tus-and-storage.md §Callers and RLS).</summary>
    public static readonly TimeSpan ClockLeeway = TimeSpan.FromSeconds(30);
    private static readonly byte[] s_headerHs256 = """{"alg":"HS256","typ":"JWT"}"""u8.ToArray();

    private readonly byte[] _secret;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, JwtClaims> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JwtClaims>.AlternateLookup<ReadOnlySpan<char>> _verifiedBySpan;

    public Jwt(byte[] secret, TimeProvider time)
    {
        _secret = secret;
        _time = time;
        _verifiedBySpan = _verified.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public bool TryValidate(string? token, out JwtClaims claims, out string error)
    {
        claims = null!;
        if (string.IsNullOrEmpty(token))
        {
            error = "missing token";
            return false;
        }

        if (_verified.TryGetValue(token, out var remembered))
        {
            return IsUnexpired(token, claims = remembered, out error);
        }

        if (!TryVerify(token, out claims, out error))
        {
            return false;
        }

        Remember(token, claims);
        return true;
    }

    /// <summary>
    /// <see cref="TryValidate(string?, out JwtClaims, out string)"/> for a token still in a request's bytes: a token
    /// seen before costs no string at all; <paramref name="text"/> is the one shared string for it.
    /// </summary>
    public bool TryValidate(ReadOnlySpan<char> token, out string text, out JwtClaims claims, out string error)
    {
        if (!token.IsEmpty && _verifiedBySpan.TryGetValue(token, out text!, out claims!))
        {
            return IsUnexpired(text, claims, out error);
        }

        text = token.ToString();
        return TryValidate(text, out claims, out error);
    }

    private bool IsUnexpired(string token, JwtClaims claims, out string error)
    {
        if (claims.ExpiresAt is { } at && at <= _time.GetUtcNow())
        {
            _verified.TryRemove(token, out _);
            error = "token has expired";
            return false;
        }

        error = "";
        return true;
    }

    private void Remember(string token, JwtClaims claims)
    {
        if (_verified.Count >= MaxRemembered)
        {
            _verified.Clear();
        }

        _verified.TryAdd(token, claims);
    }

    private bool TryVerify(string token, out JwtClaims claims, out string error)
    {
        claims = null!;

        if (token.Length > MaxTokenLength)
        {
            error = "token too long";
            return false;
        }

        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token.IndexOf('.', firstDot + 1) != lastDot)
        {
            error = "malformed token";
            return false;
        }

        var header = DecodeSegment(token.AsSpan(0, firstDot));
        var payload = DecodeSegment(token.AsSpan(firstDot + 1, lastDot - firstDot - 1));
        var signature = DecodeSegment(token.AsSpan(lastDot + 1));
        if (header is null || payload is null || signature is null)
        {
            error = "malformed token encoding";
            return false;
        }

        if (!HeaderIsHs256(header))
        {
            error = "unsupported token algorithm (only HS256)";
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var signedLength = Encoding.ASCII.GetByteCount(token.AsSpan(0, lastDot));
        var signed = ArrayPool<byte>.Shared.Rent(signedLength);
        try
        {
            Encoding.ASCII.GetBytes(token.AsSpan(0, lastDot), signed);
            HMACSHA256.HashData(_secret, signed.AsSpan(0, signedLength), expected);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(signed);
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, signature))
        {
            error = "invalid signature";
            return false;
        }

        return TryReadClaims(payload, out claims, out error);
    }

    /// <summary>Signs a claims object (already JSON) — used for development tokens and signed URLs.</summary>
    public string Sign(ReadOnlySpan<byte> claimsJson)
    {
        var head = Base64Url.EncodeToString(s_headerHs256) + "." + Base64Url.EncodeToString(claimsJson);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_secret, Encoding.ASCII.GetBytes(head), mac);
        return head + "." + Base64Url.EncodeToString(mac);
    }

    private bool TryReadClaims(byte[] payload, out JwtClaims claims, out string error)
    {
        claims = null!;
        string? role = null, sub = null, email = null;
        long? exp = null, nbf = null;
        if (!Utf8.IsValid(payload))
        {
            // Refused before the reader: its exception for invalid UTF-8 costs ~30 KB a token (found by fuzzing).
            error = "claims are not valid JSON";
            return false;
        }

        try
        {
            var reader = new Utf8JsonReader(payload);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "claims are not a JSON object";
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                reader.Read();
                if (name.SequenceEqual("role"u8) && reader.TokenType == JsonTokenType.String)
                {
                    role = reader.GetString();
                }
                else if (name.SequenceEqual("sub"u8) && reader.TokenType == JsonTokenType.String)
                {
                    sub = reader.GetString();
                }
                else if (name.SequenceEqual("email"u8) && reader.TokenType == JsonTokenType.String)
                {
                    email = reader.GetString();
                }
                else if (name.SequenceEqual("exp"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    exp = reader.TryGetInt64(out var e) ? e : (long)reader.GetDouble();
                }
                else if (name.SequenceEqual("nbf"u8) && reader.TokenType == JsonTokenType.Number)
                {
                    nbf = reader.TryGetInt64(out var n) ? n : (long)Math.Ceiling(reader.GetDouble());
                }
                else if (name.SequenceEqual("nbf"u8))
                {
                    error = "nbf is not a number"; // a malformed time claim is refused, never ignored
                    return false;
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that does not transcode (invalid UTF-8, an escaped lone surrogate).
            error = "claims are not valid JSON";
            return false;
        }

        var now = _time.GetUtcNow();
        DateTimeOffset? expiresAt = exp is { } seconds ? DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799)) : null;
        if (expiresAt is { } at && at <= now)
        {
            error = "token has expired";
            return false;
        }

        if (nbf is { } notBefore && DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(notBefore, 0, 253402300799)) > now + ClockLeeway)
        {
            error = "token is not valid yet";
            return false;
        }

        if (string.IsNullOrEmpty(role))
        {
            error = "token has no role claim";
            return false;
        }

        claims = new JwtClaims(role, sub, email, expiresAt, Encoding.UTF8.GetString(payload));
        error = "";
        return true;
    }

    /// <summary>
    /// Whether a JOSE header says HS256 and nothing that would change how it is checked: exactly one <c>alg</c>,
    /// no <c>crit</c>. Shared with <see cref="SignedUrlTokens"/>.
    /// </summary>
    internal static bool HeaderIsHs256(byte[] header)
    {
        try
        {
            var reader = new Utf8JsonReader(header);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var algs = 0;
            var hs256 = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAlg = reader.ValueTextEquals("alg"u8);
                if (reader.ValueTextEquals("crit"u8))
                {
                    return false;
                }

                reader.Read();
                if (isAlg)
                {
                    algs++;
                    hs256 = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("HS256"u8);
                }
                else
                {
                    reader.Skip();
                }
            }

            // A second alg could make another parser (a proxy, a client library) read a different algorithm.
            return algs == 1 && hs256 && reader.TokenType == JsonTokenType.EndObject;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static byte[]? DecodeSegment(ReadOnlySpan<char> segment)
    {
        // Not TryDecodeFromChars: it throws FormatException on a character outside the alphabet (found by fuzzing:
        // `apikey=a!b.c.d` failed the request instead of refusing the token). DecodeFromChars reports it instead.
        var buffer = new byte[Base64Url.GetMaxDecodedLength(segment.Length)];
        var status = Base64Url.DecodeFromChars(segment, buffer, out var consumed, out var written);
        return status == OperationStatus.Done && consumed == segment.Length ? buffer.AsSpan(0, written).ToArray() : null;
    }
}
