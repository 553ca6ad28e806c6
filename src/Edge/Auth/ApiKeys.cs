using System.Security.Cryptography;
using System.Text;

namespace MadBase.Edge.Auth;

/// <summary>
/// The node's opaque project API keys (docs/protocol/tus-and-storage.md §API keys): publishable keys
/// (<c>sb_publishable_…</c>) act as the <c>anon</c> role, secret keys (<c>sb_secret_…</c>) as <c>service_role</c>,
/// exactly as Supabase's gateway maps them before a request reaches Realtime or Storage. They are not JWTs: a key is
/// recognised by comparing it with the configured ones, never by parsing it.
/// </summary>
/// <remarks>
/// Invariant: a presented key is compared with every configured key, always all of them, as SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> — equal-length inputs, no early exit — so neither the time
/// taken nor its length tells a caller how much of a key it guessed. Nothing here keeps or logs the key text.
/// </remarks>
internal sealed class ApiKeys
{
    /// <summary>What every opaque key starts with; a token with this prefix is never read as a JWT.</summary>
    public const string OpaquePrefix = "sb_";

    public const string PublishablePrefix = "sb_publishable_";

    public const string SecretPrefix = "sb_secret_";

    /// <summary>The claims a publishable key acts with: <c>request.jwt.claims</c> is <c>{"role":"anon"}</c>, no subject, no expiry.</summary>
    public static readonly JwtClaims AnonClaims = new("anon", null, null, null, """{"role":"anon"}""");

    /// <summary>The claims a secret key acts with (bypasses RLS, as the legacy service_role key).</summary>
    public static readonly JwtClaims ServiceRoleClaims = new("service_role", null, null, null, """{"role":"service_role"}""");

    private readonly byte[][] _publishable;
    private readonly byte[][] _secret;

    public ApiKeys(IReadOnlyList<string> publishable, IReadOnlyList<string> secret)
    {
        _publishable = [.. publishable.Select(Digest)];
        _secret = [.. secret.Select(Digest)];
    }

    /// <summary>No opaque keys configured: every <c>sb_…</c> key is refused.</summary>
    public static ApiKeys None { get; } = new([], []);

    public bool IsEmpty => _publishable.Length == 0 && _secret.Length == 0;

    /// <summary>Whether <paramref name="token"/> is an opaque key (to be matched here) rather than a JWT.</summary>
    public static bool IsOpaque(ReadOnlySpan<char> token) => token.StartsWith(OpaquePrefix, StringComparison.Ordinal);

    /// <summary>
    /// The role a configured key acts as (<see cref="AnonClaims"/> or <see cref="ServiceRoleClaims"/>); false for any
    /// other key. Every configured key is compared, whatever matched first.
    /// </summary>
    public bool TryMatch(ReadOnlySpan<char> key, out JwtClaims claims)
    {
        Span<byte> presented = stackalloc byte[SHA256.HashSizeInBytes];
        Digest(key, presented);
        var publishable = AnyEquals(_publishable, presented);
        var secret = AnyEquals(_secret, presented);

        // Each list holds only its own prefix (EdgeOptionsParser), so at most one of them is true.
        claims = secret ? ServiceRoleClaims : publishable ? AnonClaims : null!;
        return secret || publishable;
    }

    private static bool AnyEquals(byte[][] digests, ReadOnlySpan<byte> presented)
    {
        var found = false;
        foreach (var digest in digests)
        {
            found |= CryptographicOperations.FixedTimeEquals(digest, presented); // no short circuit: every key costs the same
        }

        return found;
    }

    private static byte[] Digest(string key)
    {
        var digest = new byte[SHA256.HashSizeInBytes];
        Digest(key, digest);
        return digest;
    }

    private static void Digest(ReadOnlySpan<char> key, Span<byte> destination)
    {
        const int StackLimit = 512; // keys are ~46 characters; anything longer is hashed from a rented array
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var bytes = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(key, bytes);
            SHA256.HashData(bytes[..written], destination);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}
