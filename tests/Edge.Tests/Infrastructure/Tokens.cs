using System.Security.Cryptography;
using System.Text.Json;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>Mints HS256 tokens for tests, signed with the test secret the servers are started with.</summary>
internal static class Tokens
{
    public static string Anon => Create("anon");

    public static string ServiceRole => Create("service_role");

    public static string User(Guid id, string? email = null) => Create("authenticated", id.ToString(), email);

    public static string Create(string role, string? sub = null, string? email = null, DateTimeOffset? expiresAt = null, string secret = "")
    {
        var claims = new Dictionary<string, object> { ["role"] = role, ["iss"] = "madbase-tests" };
        if (sub is not null)
        {
            claims["sub"] = sub;
        }

        if (email is not null)
        {
            claims["email"] = email;
        }

        claims["exp"] = (expiresAt ?? DateTimeOffset.UtcNow.AddHours(1)).ToUnixTimeSeconds();
        var header = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        var key = Encoding.UTF8.GetBytes(secret.Length > 0 ? secret : TestEnvironment.JwtSecret);
        var signature = Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
