using MadBase.Edge.Auth;
using MadBase.Edge.Configuration;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// Recognition of opaque <c>sb_</c> keys and the gateway's choice between a bearer token and the API key, in-process
/// (the published binary's view is <see cref="ApiKeyClientTests"/>).
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ApiKeyTests
{
    private const string Publishable = "sb_publishable_AbCdEfGhIjKlMnOpQrStUv_12345678";
    private const string Secret = "sb_secret_ZyXwVuTsRqPoNmLkJiHgFe_87654321";
    private const string OtherSecret = "sb_secret_AnotherSecretKeyForRotation_0000";

    private static readonly ApiKeys s_keys = new([Publishable], [Secret, OtherSecret]);
    private static readonly Jwt s_jwt = new(Encoding.UTF8.GetBytes(TestEnvironment.JwtSecret), TimeProvider.System);

    [Theory]
    [InlineData(Publishable, "anon")]
    [InlineData(Secret, "service_role")]
    [InlineData(OtherSecret, "service_role")]
    public void TryMatch_ConfiguredKey_ActsAsItsRole(string key, string role)
    {
        Assert.True(s_keys.TryMatch(key, out var claims));
        Assert.Equal(role, claims.Role);
        Assert.Equal($$"""{"role":"{{role}}"}""", claims.RawJson);
        Assert.Null(claims.Subject);
        Assert.Null(claims.ExpiresAt);
    }

    [Theory]
    [InlineData("sb_publishable_AbCdEfGhIjKlMnOpQrStUv_1234567")] // one character short
    [InlineData("sb_publishable_AbCdEfGhIjKlMnOpQrStUv_123456789")] // one character more
    [InlineData("sb_publishable_AbCdEfGhIjKlMnOpQrStUv_12345679")] // last character changed
    [InlineData("sb_secret_AbCdEfGhIjKlMnOpQrStUv_12345678")] // the publishable key's random part as a secret key
    [InlineData("SB_PUBLISHABLE_ABCDEFGHIJKLMNOPQRSTUV_12345678")] // keys are case-sensitive
    [InlineData("sb_publishable_")]
    [InlineData("sb_")]
    [InlineData("")]
    public void TryMatch_AnyOtherKey_False(string key)
    {
        Assert.False(s_keys.TryMatch(key, out _));
    }

    [Fact]
    public void TryMatch_NoKeysConfigured_RefusesEvenAWellFormedKey()
    {
        Assert.True(ApiKeys.None.IsEmpty);
        Assert.False(ApiKeys.None.TryMatch(Publishable, out _));
    }

    [Fact]
    public void CheckKey_OpaqueKey_KeepsOnlyItsKindNeverTheKey()
    {
        Assert.Equal(CredentialCheck.Valid, Credentials.CheckKey(s_jwt, s_keys, Secret, out var text, out var claims, out _));
        Assert.Equal("service_role", claims.Role);
        Assert.Equal(ApiKeys.SecretPrefix, text);

        Assert.Equal(CredentialCheck.Valid, Credentials.CheckKey(s_jwt, s_keys, Publishable, out text, out claims, out _));
        Assert.Equal("anon", claims.Role);
        Assert.Equal(ApiKeys.PublishablePrefix, text);
    }

    [Fact]
    public void CheckKey_UnknownOpaqueKey_UnknownApiKeyNotReadAsJwt()
    {
        Assert.Equal(CredentialCheck.UnknownApiKey, Credentials.CheckKey(s_jwt, s_keys, "sb_publishable_nope", out _, out _, out var error));
        Assert.Equal("unknown API key", error);
    }

    [Fact]
    public void CheckKey_LegacyJwtKeys_StillAccepted()
    {
        Assert.Equal(CredentialCheck.Valid, Credentials.CheckKey(s_jwt, s_keys, Tokens.Anon, out var text, out var claims, out _));
        Assert.Equal("anon", claims.Role);
        Assert.Equal(Tokens.Anon.Length, text.Length);
        Assert.Equal(CredentialCheck.InvalidToken, Credentials.CheckKey(s_jwt, s_keys, "a.b.c", out _, out _, out _));
        Assert.Equal(CredentialCheck.Missing, Credentials.CheckKey(s_jwt, s_keys, "", out _, out _, out _));
    }

    [Fact]
    public void CheckRequest_UserJwtInAuthorization_WinsOverThePublishableKey()
    {
        var user = Tokens.User(Guid.NewGuid());

        Assert.Equal(CredentialCheck.Valid, Credentials.CheckRequest(s_jwt, s_keys, "Bearer " + user, Publishable, out var claims, out _));
        Assert.Equal("authenticated", claims.Role);
    }

    [Theory]
    [InlineData("Bearer " + Publishable, Publishable, "anon")] // supabase-js ≤ 2.119 without a session: key in both
    [InlineData("bearer " + Secret, Secret, "service_role")]
    [InlineData("Bearer " + Publishable, Secret, "service_role")] // a bearer sb_ key is never used: the apikey decides
    [InlineData(null, Secret, "service_role")] // supabase-js today: no Authorization for a new-format key
    [InlineData("", Publishable, "anon")]
    public void CheckRequest_OpaqueKey_ApikeyDecidesTheRole(string? authorization, string apiKey, string role)
    {
        Assert.Equal(CredentialCheck.Valid, Credentials.CheckRequest(s_jwt, s_keys, authorization, apiKey, out var claims, out _));
        Assert.Equal(role, claims.Role);
    }

    [Fact]
    public void CheckRequest_BearerOpaqueKeyWithoutApikey_Missing()
    {
        // The gateway drops a bearer sb_ key and finds no apikey: the services see no credential at all.
        Assert.Equal(CredentialCheck.Missing, Credentials.CheckRequest(s_jwt, s_keys, "Bearer " + Secret, null, out _, out _));
    }

    [Fact]
    public void CheckRequest_InvalidUserJwt_RefusedEvenWithAValidApikey()
    {
        Assert.Equal(CredentialCheck.InvalidToken, Credentials.CheckRequest(s_jwt, s_keys, "Bearer x.y.z", Secret, out _, out _));
    }

    [Fact]
    public void CheckRequest_UnknownOpaqueApikey_UnknownApiKey()
    {
        Assert.Equal(CredentialCheck.UnknownApiKey, Credentials.CheckRequest(s_jwt, s_keys, "Bearer " + Publishable + "x", Publishable + "x", out _, out _));
    }

    [Fact]
    public void Parse_KeyLists_CommaSeparatedAndTrimmed()
    {
        var options = Parse(("MADBASE_PUBLISHABLE_KEY", Publishable), ("MADBASE_SECRET_KEY", $" {Secret} ,{OtherSecret}"));

        Assert.True(options.ApiKeys.TryMatch(Publishable, out var anon));
        Assert.Equal("anon", anon.Role);
        Assert.True(options.ApiKeys.TryMatch(OtherSecret, out var service));
        Assert.Equal("service_role", service.Role);
        Assert.True(Parse().ApiKeys.IsEmpty);
    }

    [Theory]
    [InlineData("MADBASE_PUBLISHABLE_KEY", Secret)] // a secret key where the publishable one belongs: refused, not demoted
    [InlineData("MADBASE_SECRET_KEY", Publishable)]
    [InlineData("MADBASE_SECRET_KEY", "sb_secret_short")]
    [InlineData("MADBASE_SECRET_KEY", "sb_secret_has spaces in the middle_0123")]
    [InlineData("MADBASE_PUBLISHABLE_KEY", "eyJhbGciOiJIUzI1NiJ9.e30.sig-of-some-legacy-anon-key")]
    public void Parse_MalformedKey_RefusedNamingTheVariableNotTheKey(string variable, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Parse((variable, value)));

        Assert.Equal(variable, error.Variable);
        Assert.DoesNotContain(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HelpText_ListsBothKeySettings()
    {
        var help = HelpText.Render();

        Assert.Contains("MADBASE_PUBLISHABLE_KEY", help, StringComparison.Ordinal);
        Assert.Contains("--secret-key", help, StringComparison.Ordinal);
    }

    private static EdgeOptions Parse(params (string Variable, string Value)[] settings)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["MADBASE_JWT_SECRET"] = TestEnvironment.JwtSecret };
        foreach (var (variable, value) in settings)
        {
            environment[variable] = value;
        }

        return EdgeOptionsParser.Parse([], name => environment.GetValueOrDefault(name));
    }
}
