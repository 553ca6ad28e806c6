using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using MadBase.Edge.Auth;

namespace MadBase.Fuzz.Harnesses;

/// <summary>
/// <see cref="Jwt.TryValidate(string?, out JwtClaims, out string)"/> must answer true or false, never throw. Random
/// bytes never carry a valid signature, so half the inputs are signed correctly here: the fuzzer then reaches the
/// header check and the claims reader with arbitrary JSON.
/// </summary>
/// <remarks>
/// Input: mode byte; mode even: the rest is the token (Latin-1); mode odd: the rest is <c>header NUL claims</c>,
/// both base64url-encoded and signed with the server's secret.
/// </remarks>
internal static class JwtHarness
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("fuzz-secret-fuzz-secret-fuzz-secret-0123");
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return;
        }

        var made = HarnessAllocations.Begin();
        var token = (input[0] & 1) == 0 ? Encoding.Latin1.GetString(input[1..]) : Sign(input[1..]); // the request's token, not the codec's
        HarnessAllocations.End(made);
        var jwt = new Jwt(s_secret, new FixedTime(s_now));
        var valid = jwt.TryValidate(token, out var claims, out var error);
        if (valid && claims.ExpiresAt is { } at && at <= s_now)
        {
            throw new FuzzFindingException($"an expired token ({at:O}) was accepted");
        }

        if (!valid && string.IsNullOrEmpty(error))
        {
            throw new FuzzFindingException("a refused token without a reason");
        }

        // The span overload (tokens still in request bytes) must agree, on a fresh instance and on the cached one.
        var again = new Jwt(s_secret, new FixedTime(s_now)).TryValidate(token.AsSpan(), out _, out _, out _);
        var cached = jwt.TryValidate(token.AsSpan(), out _, out _, out _);
        if (again != valid || cached != valid)
        {
            throw new FuzzFindingException($"string and span validation disagree: {valid}/{again}/{cached}");
        }
    }

    private static string Sign(ReadOnlySpan<byte> parts)
    {
        var nul = parts.IndexOf((byte)0);
        var header = nul < 0 ? """{"alg":"HS256","typ":"JWT"}"""u8 : parts[..nul];
        var claims = nul < 0 ? parts : parts[(nul + 1)..];
        var signed = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        var mac = HMACSHA256.HashData(s_secret, Encoding.ASCII.GetBytes(signed));
        return signed + "." + Base64Url.EncodeToString(mac);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
