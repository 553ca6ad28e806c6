using System.Buffers.Text;
using System.Security.Cryptography;
using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.PostgresChanges;

namespace MadBase.Edge.Tests.Fuzz;

/// <summary>Inputs the fuzz harnesses found that made an Edge codec throw instead of refusing, kept as vectors.</summary>
[Trait("Kind", "InProcess")]
public sealed class FuzzRegressionTests
{
    private static readonly byte[] s_secret = Encoding.UTF8.GetBytes("fuzz-secret-fuzz-secret-fuzz-secret-0123");

    [Theory]
    [InlineData("ab!c.def.ghi")]     // '!' is outside base64url: Base64Url.TryDecodeFromChars threw FormatException
    [InlineData("abé.def.ghi")]      // a Latin-1 character from a header
    [InlineData("a+b/.c.d")]         // the standard base64 alphabet is not base64url
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.AA=A")]
    public void JwtTryValidate_CharacterOutsideBase64Url_RefusedNotThrown(string token)
    {
        var jwt = new Jwt(s_secret, TimeProvider.System);

        Assert.False(jwt.TryValidate(token, out _, out var error));
        Assert.Equal("malformed token encoding", error);
        Assert.False(jwt.TryValidate(token.AsSpan(), out _, out _, out _));
    }

    [Theory]
    [InlineData("""{"role":"\ud800"}""")]           // escaped lone surrogate: GetString threw InvalidOperationException
    [InlineData("{\"role\":\"\u00ff\u00fe\"}")]      // Latin-1 bytes, i.e. invalid UTF-8 inside the string
    public void JwtTryValidate_SignedClaimsThatDoNotTranscode_Refused(string claims)
    {
        var token = Sign("""{"alg":"HS256","typ":"JWT"}"""u8, Encoding.Latin1.GetBytes(claims));

        Assert.False(new Jwt(s_secret, TimeProvider.System).TryValidate(token, out _, out var error));
        Assert.Equal("claims are not valid JSON", error);
    }

    [Theory]
    [InlineData("""{"event":"\ud800","schema":"public","table":"t"}""")]
    [InlineData("""{"event":"*","schema":"public","table":"t","filter":"id=eq.\udc00"}""")]
    public void PostgresBindingParse_EscapedLoneSurrogate_ErrorNotThrown(string element)
    {
        var binding = PostgresBinding.Parse(Encoding.UTF8.GetBytes(element), out var reply, out var error);

        Assert.Null(binding);
        Assert.Contains("malformed postgres_changes entry", error, StringComparison.Ordinal);
        Assert.NotEmpty(reply);
    }

    [Fact]
    public void PostgresBindingParse_EscapedSurrogatePair_Accepted()
    {
        var binding = PostgresBinding.Parse("""{"event":"*","schema":"public","table":"\ud83d\ude00"}"""u8.ToArray(), out _, out var error);

        Assert.Null(error);
        Assert.Equal("😀", binding!.Table);
    }

    private static string Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> claims)
    {
        var signed = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(claims);
        return signed + "." + Base64Url.EncodeToString(HMACSHA256.HashData(s_secret, Encoding.ASCII.GetBytes(signed)));
    }
}
