using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace MadBase.Load.Realtime;

/// <summary>
/// One HS256 JWT per client (<c>--jwt-secret</c>): each simulated user has its own subject, as signed-in supabase-js
/// clients do. MadBase's resume key is the JWT's role and subject plus topic and bindings (src/Edge/Realtime/Resume/
/// ResumeKey.cs), so with one shared anon key all rejoins would share one key and the registry could not tell them
/// apart; with a subject each client resumes its own channel.
/// </summary>
internal sealed class ClientTokens(string secret, string role)
{
    private static readonly string s_header = Encode("""{"alg":"HS256","typ":"JWT"}"""u8);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(secret);
    private readonly long _issuedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>A fixed subject per client, so a reconnect presents the same identity (a new token would too: iat/exp are not part of the key).</summary>
    public static string Subject(int client) => $"00000000-0000-4000-8000-{client:x12}";

    public string For(int client)
    {
        string claims =
            $"{{\"iss\":\"madbase\",\"role\":\"{role}\",\"sub\":\"{Subject(client)}\",\"iat\":{_issuedAt},\"exp\":{_issuedAt + 86_400}}}";
        string signed = s_header + "." + Encode(Encoding.UTF8.GetBytes(claims));
        return signed + "." + Encode(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signed)));
    }

    private static string Encode(ReadOnlySpan<byte> data) => Base64Url.EncodeToString(data);
}
