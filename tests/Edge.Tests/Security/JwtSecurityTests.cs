using System.Buffers.Text;
using System.Security.Cryptography;
using MadBase.Edge.Auth;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// The token checks clients never exercise (issue #17): algorithm choice by the token, algorithm confusion, time
/// claims at their edges, and signed URL tokens tampered with. In-process over the codec (the published binary's
/// view of the same checks is in <see cref="SecurityBoundaryTests"/>).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class JwtSecurityTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("security-secret-security-secret-0123456789");
    private static readonly DateTimeOffset s_now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("""{"alg":"none","typ":"JWT"}""")]
    [InlineData("""{"alg":"None"}""")]
    [InlineData("""{"alg":"hs256"}""")]
    [InlineData("""{"alg":"HS384"}""")]
    [InlineData("""{"alg":"HS512"}""")]
    [InlineData("""{"alg":"RS256"}""")] // confusion: an RS/ES token whose "signature" is an HMAC under the secret
    [InlineData("""{"alg":"ES256"}""")]
    [InlineData("""{"alg":"PS256"}""")]
    [InlineData("""{"alg":"EdDSA"}""")]
    [InlineData("""{"typ":"JWT"}""")]
    [InlineData("""{"alg":["HS256"]}""")]
    [InlineData("""{"alg":"none","alg":"HS256"}""")] // a second alg: another parser may read the first
    [InlineData("""{"alg":"HS256","alg":"none"}""")]
    [InlineData("""{"alg":"HS256","crit":["exp"]}""")]
    public void TryValidate_HeaderOtherThanOneHs256_RefusedEvenWithAValidHmac(string header)
    {
        var token = Sign(header, $$"""{"role":"service_role","exp":{{s_now.AddHours(1).ToUnixTimeSeconds()}}}""");

        Assert.False(NewJwt().TryValidate(token, out _, out var error));
        Assert.Equal("unsupported token algorithm (only HS256)", error);
    }

    [Fact]
    public void TryValidate_AlgNoneWithEmptySignature_Refused()
    {
        var token = B64("""{"alg":"none"}""") + "." + B64("""{"role":"service_role"}""") + ".";

        Assert.False(NewJwt().TryValidate(token, out _, out var error));
        Assert.Equal("unsupported token algorithm (only HS256)", error);
    }

    [Fact]
    public void TryValidate_SignatureOfAnotherSecretOrTruncatedOrOneBitOff_Refused()
    {
        var jwt = NewJwt();
        var good = Sign("""{"alg":"HS256"}""", """{"role":"anon"}""");
        Assert.True(jwt.TryValidate(good, out _, out _));

        var other = Sign("""{"alg":"HS256"}""", """{"role":"anon"}""", Encoding.UTF8.GetBytes("another-secret-another-secret-0123456789"));
        var head = good[..(good.LastIndexOf('.') + 1)];
        var signature = Base64Url.DecodeFromChars(good.AsSpan(good.LastIndexOf('.') + 1));
        var truncated = head + Base64Url.EncodeToString(signature.AsSpan(0, 16));
        signature[^1] ^= 1;
        var flipped = head + Base64Url.EncodeToString(signature);
        var payloadSwapped = good.Replace(B64("""{"role":"anon"}"""), B64("""{"role":"service_role"}"""), StringComparison.Ordinal);

        foreach (var token in new[] { other, truncated, flipped, payloadSwapped })
        {
            Assert.False(jwt.TryValidate(token, out _, out var error));
            Assert.Equal("invalid signature", error);
        }
    }

    [Theory]
    [InlineData(-3000, false)] // the case: nbf 50 minutes ahead was accepted by storage and the socket
    [InlineData(-31, false)]   // just beyond the leeway
    [InlineData(-30, true)]    // at the leeway: a clock 30 s ahead of ours
    [InlineData(0, true)]
    [InlineData(600, true)]
    public void TryValidate_NotBefore_HonouredWithThirtySecondsLeeway(int secondsSinceNotBefore, bool accepted)
    {
        var nbf = s_now.AddSeconds(-secondsSinceNotBefore).ToUnixTimeSeconds();
        var token = Sign("""{"alg":"HS256"}""", $$"""{"role":"anon","nbf":{{nbf}},"exp":{{s_now.AddHours(2).ToUnixTimeSeconds()}}}""");

        Assert.Equal(accepted, NewJwt().TryValidate(token, out _, out var error));
        Assert.Equal(accepted ? "" : "token is not valid yet", error);
    }

    [Fact]
    public void TryValidate_NotYetValid_NotRememberedSoAcceptedOnceItsTimeComes()
    {
        var clock = new Clock(s_now);
        var jwt = new Jwt(s_secret, clock);
        var token = Sign("""{"alg":"HS256"}""", $$"""{"role":"anon","nbf":{{s_now.AddMinutes(50).ToUnixTimeSeconds()}}}""");

        Assert.False(jwt.TryValidate(token, out _, out _));
        Assert.False(jwt.TryValidate(token.AsSpan(), out _, out _, out _));
        clock.Now = s_now.AddMinutes(50);
        Assert.True(jwt.TryValidate(token, out _, out _));
    }

    [Theory]
    [InlineData("\"soon\"")]
    [InlineData("null")]
    [InlineData("{}")]
    public void TryValidate_NotBeforeNotANumber_Refused(string nbf)
    {
        var token = Sign("""{"alg":"HS256"}""", $$"""{"role":"anon","nbf":{{nbf}}}""");

        Assert.False(NewJwt().TryValidate(token, out _, out var error));
        Assert.Equal("nbf is not a number", error);
    }

    [Theory]
    [InlineData(0, false)] // exp is exact: refused from its second on
    [InlineData(-1, false)]
    [InlineData(1, true)]
    public void TryValidate_ExpiryEdge_ExactAndRecheckedOnRememberedTokens(int secondsLeft, bool accepted)
    {
        var clock = new Clock(s_now.AddSeconds(-10));
        var jwt = new Jwt(s_secret, clock);
        var token = Sign("""{"alg":"HS256"}""", $$"""{"role":"anon","exp":{{s_now.AddSeconds(secondsLeft).ToUnixTimeSeconds()}}}""");
        Assert.True(jwt.TryValidate(token, out _, out _)); // remembered while valid

        clock.Now = s_now;
        Assert.Equal(accepted, jwt.TryValidate(token, out _, out var error));
        Assert.Equal(accepted ? "" : "token has expired", error);
        Assert.Equal(accepted, jwt.TryValidate(token.AsSpan(), out _, out _, out _));
    }

    [Fact]
    public void Source_SignatureComparisons_AreFixedTime()
    {
        // Timing-safe comparison is a property of the code, not of one run's timings: the two signature checks
        // use CryptographicOperations.FixedTimeEquals and nothing else compares MACs.
        var auth = Path.Combine(RepoRoot(), "src", "Edge", "Auth");
        foreach (var file in new[] { "Jwt.cs", "SignedUrlTokens.cs" })
        {
            var text = File.ReadAllText(Path.Combine(auth, file));
            Assert.Contains("CryptographicOperations.FixedTimeEquals(expected, signature)", text, StringComparison.Ordinal);
            Assert.DoesNotContain("SequenceEqual(signature", text, StringComparison.Ordinal);
            Assert.DoesNotContain("expected.SequenceEqual", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SignedUrl_Tampered_RefusedWithAReasonNeverThrown()
    {
        var jwt = NewJwt();
        var tokens = new SignedUrlTokens(s_secret, jwt, new Clock(s_now));
        var good = tokens.Create(SignedUrlTokens.DownloadScope, "b/a.txt", TimeSpan.FromMinutes(5));
        Assert.True(tokens.TryValidate(good, SignedUrlTokens.DownloadScope, "b/a.txt", out _, out _));

        var parts = good.Split('.');
        var otherObject = Sign("""{"alg":"HS256"}""", """{"url":"b/secret.txt","scope":"download","exp":9999999999}""", Encoding.UTF8.GetBytes("not-the-secret-not-the-secret-0123456789"));
        var noneHeader = B64("""{"alg":"none","x":"HS256"}""") + "." + parts[1] + "." + parts[2];
        var cases = new (string Token, string Url, string Error)[]
        {
            (good, "b/other.txt", "the token was not issued for this object"),
            (parts[0] + "." + B64("""{"url":"b/secret.txt","scope":"download","exp":9999999999}""") + "." + parts[2], "b/secret.txt", "invalid signature"),
            (otherObject, "b/secret.txt", "invalid signature"),
            (noneHeader, "b/a.txt", "unsupported token algorithm (only HS256)"), // the old check looked for "HS256" anywhere
            (parts[0] + "." + parts[1] + ".", "b/a.txt", "invalid signature"),
            ("a!b." + parts[1] + "." + parts[2], "b/a.txt", "malformed token"), // threw FormatException (a 500) before
            (parts[0] + ".é." + parts[2], "b/a.txt", "malformed token"),
            (good + ".x", "b/a.txt", "malformed token"),
        };
        foreach (var (token, url, error) in cases)
        {
            Assert.False(tokens.TryValidate(token, SignedUrlTokens.DownloadScope, url, out _, out var actual));
            Assert.Equal(error, actual);
        }

        Assert.False(tokens.TryValidate(good, SignedUrlTokens.UploadScope, "b/a.txt", out _, out var scopeError));
        Assert.Equal("the token is for download, not upload", scopeError);
        Assert.False(new SignedUrlTokens(s_secret, jwt, new Clock(s_now.AddMinutes(5))).TryValidate(good, SignedUrlTokens.DownloadScope, "b/a.txt", out _, out var expired));
        Assert.Equal("the signed URL has expired", expired);
    }

    private static Jwt NewJwt() => new(s_secret, new Clock(s_now));

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Sign(string header, string claims, byte[]? secret = null)
    {
        var head = B64(header) + "." + B64(claims);
        return head + "." + Base64Url.EncodeToString(HMACSHA256.HashData(secret ?? s_secret, Encoding.ASCII.GetBytes(head)));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "MadBase.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("MadBase.sln not found above " + AppContext.BaseDirectory);
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
