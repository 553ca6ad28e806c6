using System.Globalization;
using System.Text;
using System.Text.Json;
using MadBase.Edge.Auth;

namespace MadBase.Edge.Hosting;

/// <summary><c>madbase-edge token &lt;role&gt;</c>: mints tokens for development and tests with the configured secret.</summary>
internal static class DevTokens
{
    private static readonly TimeSpan s_defaultLifetime = TimeSpan.FromDays(3650); // like Supabase's long-lived anon key

    public static int Run(ReadOnlySpan<string> args, Func<string, string?> environment)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("madbase-edge: usage: madbase-edge token <role> [--sub <uuid>] [--ttl-seconds <n>]");
            return 2;
        }

        var secret = environment(EdgeSetting.JwtSecret.Variable);
        if (string.IsNullOrEmpty(secret) || secret.Length < 32)
        {
            Console.Error.WriteLine("madbase-edge: invalid configuration: MADBASE_JWT_SECRET: required (at least 32 characters) to sign tokens");
            return 2;
        }

        var role = args[0];
        string? sub = null;
        var ttl = s_defaultLifetime;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sub" when i + 1 < args.Length:
                    sub = args[++i];
                    break;
                case "--ttl-seconds" when i + 1 < args.Length && long.TryParse(args[i + 1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds):
                    ttl = TimeSpan.FromSeconds(seconds);
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"madbase-edge: unknown token option '{args[i]}'");
                    return 2;
            }
        }

        var now = DateTimeOffset.UtcNow;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("iss", "madbase");
            json.WriteString("role", role);
            if (sub is not null)
            {
                json.WriteString("sub", sub);
            }

            json.WriteNumber("iat", now.ToUnixTimeSeconds());
            json.WriteNumber("exp", now.Add(ttl).ToUnixTimeSeconds());
            json.WriteEndObject();
        }

        var jwt = new Jwt(Encoding.UTF8.GetBytes(secret), TimeProvider.System);
        Console.Out.WriteLine(jwt.Sign(buffer.ToArray()));
        return 0;
    }
}
