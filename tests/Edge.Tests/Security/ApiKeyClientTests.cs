using System.Net;
using System.Text.Json;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// A published server with opaque project keys configured (<c>MADBASE_PUBLISHABLE_KEY</c>, <c>MADBASE_SECRET_KEY</c>)
/// and the storage policies the api-keys scenario relies on.
/// </summary>
public sealed class ApiKeyServerFixture : IAsyncLifetime
{
    // Shaped like upstream's keys (prefix, 22 + 1 + 8 URL-safe characters); the secret is listed second of two to
    // show a list works (rotation).
    public const string PublishableKey = "sb_publishable_T3stPubl1shableKey_0123abcd";
    public const string SecretKey = "sb_secret_T3stSecretKeyForMadBase_9876zyxw";
    public const string RetiredSecretKey = "sb_secret_OldSecretKeyStillAccepted_5555aaaa";

    /// <summary>The publishable key with its last character changed: an sb_ key the node does not have.</summary>
    public const string WrongKey = "sb_publishable_T3stPubl1shableKey_0123abcX";

    private const string Policies =
        """
        create policy keys_anon_select on storage.objects for select to anon
          using (bucket_id like 'keys-%' and name like 'anon/%');
        create policy keys_user_select on storage.objects for select to authenticated
          using (bucket_id like 'keys-%');
        """;

    internal EdgeProcess Edge { get; private set; } = null!;

    private string Database { get; set; } = "";

    private string Slot { get; } = RealtimeServerFixture.NewSlotName();

    public async ValueTask InitializeAsync()
    {
        (Database, Edge) = await RealtimeServerFixture.StartEdgeAsync(Slot, env =>
        {
            env["MADBASE_PUBLISHABLE_KEY"] = PublishableKey;
            env["MADBASE_SECRET_KEY"] = RetiredSecretKey + ", " + SecretKey;
        });
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Policies, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync() => await RealtimeServerFixture.StopEdgeAsync(Edge, Database, Slot);
}

/// <summary>
/// Issue 15: opaque <c>sb_</c> API keys wherever upstream's gateway accepts them — real supabase-js with the
/// publishable key as its <c>supabaseKey</c> (anon), the secret key (service_role), a user's JWT beside the
/// publishable key, and a wrong <c>sb_</c> key refused with upstream's text.
/// </summary>
public sealed class ApiKeyClientTests(ApiKeyServerFixture server) : IClassFixture<ApiKeyServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task SupabaseJs_OpaqueKeys_ActAsTheirRolesAndAWrongKeyIsRefused()
    {
        var env = new Dictionary<string, string>
        {
            ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = ApiKeyServerFixture.PublishableKey,
            ["EDGE_PUBLISHABLE_KEY"] = ApiKeyServerFixture.PublishableKey,
            ["EDGE_SECRET_KEY"] = ApiKeyServerFixture.SecretKey,
            ["EDGE_WRONG_KEY"] = ApiKeyServerFixture.WrongKey,
            ["EDGE_USER_TOKEN"] = Tokens.User(Guid.NewGuid()),
        };

        var result = (await NodeScript.RunAsync("api-keys.mjs", env, s_timeout)).Json;

        // Secret key: service_role, so bucket creation (RLS on storage.buckets) and emptyBucket (role check) pass.
        Assert.Equal("ok", result.GetProperty("createBucket").GetString());
        Assert.Equal("ok", result.GetProperty("uploadAnon").GetString());
        Assert.Equal("ok", result.GetProperty("uploadUser").GetString());
        Assert.Equal("ok", result.GetProperty("emptyBucket").GetString());

        // Publishable key: anon — its policy's rows only, no bucket creation, no service-role action.
        Assert.Equal(["a.txt"], Names(result.GetProperty("pubListAnon")));
        Assert.Empty(Names(result.GetProperty("pubListUser")));
        Assert.Equal("for everyone", result.GetProperty("pubDownload").GetString());
        Assert.Contains("row-level security", result.GetProperty("pubCreateBucket").GetString(), StringComparison.Ordinal);
        Assert.Equal("Access denied: Invalid role", result.GetProperty("pubEmptyBucket").GetString());

        // A user's JWT beside the publishable key: the user (authenticated) decides, not the key.
        Assert.Equal(["b.txt"], Names(result.GetProperty("userListUser")));

        // A wrong sb_ key: what upstream's Storage answers for a credential that is no JWT.
        Assert.Equal("Invalid Compact JWS", result.GetProperty("badList").GetString());
        Assert.Equal("403", result.GetProperty("badStatus").GetString());

        // Realtime: the publishable key's socket joins and broadcasts (anon), may not read a private channel without
        // a policy; the secret key's socket may (service_role); the wrong key's upgrade is refused.
        Assert.Equal("SUBSCRIBED", result.GetProperty("pubJoin").GetProperty("status").GetString());
        Assert.Equal("ok", result.GetProperty("pubSend").GetString());
        Assert.Equal(1, result.GetProperty("pubGot")[0].GetProperty("n").GetInt32());
        Assert.Equal("CHANNEL_ERROR", result.GetProperty("pubPrivateJoin").GetProperty("status").GetString());
        Assert.Contains("Unauthorized", result.GetProperty("pubPrivateJoin").GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("SUBSCRIBED", result.GetProperty("secretPrivateJoin").GetProperty("status").GetString());
        Assert.Equal("CHANNEL_ERROR", result.GetProperty("badJoin").GetProperty("status").GetString());
    }

    [Fact]
    public async Task SocketUpgrade_WrongOpaqueKey_401WithUpstreamText()
    {
        var port = server.Edge.Port;
        await using var socket = await RawWebSocket.SendRawAsync(port, RawWebSocket.UpgradeRequest(port, $"/realtime/v1/websocket?apikey={ApiKeyServerFixture.WrongKey}&vsn=2.0.0"));

        Assert.Equal(401, socket.StatusCode);
        var body = await socket.ReadBodyToEndAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("The token provided is not a valid JWT", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        Assert.DoesNotContain(ApiKeyServerFixture.WrongKey, server.Edge.Log, StringComparison.Ordinal); // never logged
    }

    /// <summary>The key in the <c>x-api-key</c> header, which upstream reads first; the role shows in a private join.</summary>
    [Theory]
    [InlineData(ApiKeyServerFixture.PublishableKey, "error")] // anon: no realtime.messages policy lets it read
    [InlineData(ApiKeyServerFixture.SecretKey, "ok")] // service_role needs none
    public async Task SocketUpgrade_OpaqueKeyInXApiKeyHeader_AcceptedAsItsRole(string key, string privateJoin)
    {
        var port = server.Edge.Port;
        await using var socket = await RawWebSocket.SendRawAsync(port, RawWebSocket.UpgradeRequest(port, "/realtime/v1/websocket?vsn=2.0.0", $"x-api-key: {key}\r\n"));

        Assert.Equal(101, socket.StatusCode);
        await socket.SendTextAsync("""["1","1","realtime:keys-header","phx_join",{"config":{"private":true}}]""");
        Assert.Contains($"\"status\":\"{privateJoin}\"", await socket.ReadTextContainingAsync("phx_reply", TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ApiKeyServerFixture.SecretKey)]
    [InlineData(ApiKeyServerFixture.RetiredSecretKey)]
    public async Task BroadcastApi_SecretKeyInApikeyHeader_ActsAsServiceRole(string key)
    {
        // The listener's socket uses the secret key too: only service_role reads a private channel without a policy.
        var topic = "keys-rest-" + Guid.NewGuid().ToString("N")[..8];
        await using var listener = await RawWebSocket.ConnectAsync(server.Edge.Port, $"/realtime/v1/websocket?apikey={key}&vsn=2.0.0");
        await listener.SendTextAsync($$$"""["1","1","realtime:{{{topic}}}","phx_join",{"config":{"private":true}}]""");
        Assert.Contains("\"status\":\"ok\"", await listener.ReadTextContainingAsync("phx_reply", TimeSpan.FromSeconds(10)), StringComparison.Ordinal);

        // A private message is sent only for callers its INSERT policy allows, or service_role: there is no policy.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent($$$"""{"messages":[{"topic":"{{{topic}}}","event":"e","payload":{"n":7},"private":true}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", key);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key); // as older supabase-js sends it

        using var response = await server.Edge.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("\"n\":7", await listener.ReadTextContainingAsync("\"broadcast\"", TimeSpan.FromSeconds(10)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BroadcastApi_WrongOpaqueKey_401Unauthorized()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent("""{"messages":[{"topic":"t","event":"e","payload":{}}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", ApiKeyServerFixture.WrongKey);

        using var response = await server.Edge.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Unauthorized", JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("message").GetString());
    }

    private static string[] Names(JsonElement list) => [.. list.EnumerateArray().Select(n => n.GetString()!)];
}
