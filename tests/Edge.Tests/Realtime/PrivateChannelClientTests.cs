using System.Text.Json;
using MadBase.Edge.Tests.Infrastructure;

namespace MadBase.Edge.Tests.Realtime;

/// <summary>Private channels with the real npm <c>@supabase/supabase-js</c> client against the published binary.</summary>
public sealed class PrivateChannelClientTests(PrivateChannelServerFixture server) : IClassFixture<PrivateChannelServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task PrivateChannels_RoomAndLobbyPolicies_EnforcedForJoinBroadcastPresenceAndRest()
    {
        var env = new Dictionary<string, string>
        {
            ["EDGE_URL"] = server.Edge.BaseUri.ToString().TrimEnd('/'),
            ["EDGE_ANON_KEY"] = Tokens.Anon,
            ["EDGE_TOKEN_A"] = Tokens.User(PrivateChannelServerFixture.UserA),
            ["EDGE_TOKEN_B"] = Tokens.User(PrivateChannelServerFixture.UserB),
            ["EDGE_ROOM"] = PrivateChannelServerFixture.RoomA,
        };

        var result = (await NodeScript.RunAsync("realtime-private.mjs", env, s_timeout)).Json;

        // User A joins its room twice; user B is refused with upstream's reason.
        Assert.Equal("SUBSCRIBED", Status(result, "joinA1"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinA2"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinPub"));
        Assert.Equal("CHANNEL_ERROR", Status(result, "joinB"));
        Assert.Equal(
            "Unauthorized: You do not have permissions to read from this Channel topic: " + PrivateChannelServerFixture.RoomA,
            result.GetProperty("joinB").GetProperty("error").GetString());

        // Broadcast inside the room (acked, delivered); the public channel of the same name is another topic.
        Assert.Equal("ok", result.GetProperty("ackA2").GetString());
        Assert.Equal("ok", result.GetProperty("ackPub").GetString());
        var got = result.GetProperty("got");
        Assert.Equal(["a2", "restA", "httpA"], From(got.GetProperty("a1")));
        Assert.Equal(["restA", "httpA"], From(got.GetProperty("a2")));
        Assert.Equal(["public"], From(got.GetProperty("pub")));

        // Presence in the room: both members; the public channel sees only itself.
        Assert.Equal("ok", result.GetProperty("trackA1").GetString());
        Assert.Equal("ok", result.GetProperty("trackA2").GetString());
        Assert.Equal(["a1", "a2"], Strings(result.GetProperty("presenceA1")));
        Assert.Equal(["pub"], Strings(result.GetProperty("presencePub")));

        // The lobby: read-only for everyone. The send gets no ack, the track is refused, nothing is delivered.
        Assert.Equal("SUBSCRIBED", Status(result, "joinLobbyA"));
        Assert.Equal("SUBSCRIBED", Status(result, "joinLobbyB"));
        Assert.Equal("timed out", result.GetProperty("lobbySend").GetString());
        Assert.Equal("error", result.GetProperty("lobbyTrack").GetString());
        Assert.Empty(got.GetProperty("lobbyB").EnumerateArray());

        // REST: A's messages arrive (above), B's are accepted by the batch endpoint but dropped, and refused by httpSend.
        Assert.Equal("ok", result.GetProperty("restSendA").GetString());
        Assert.Equal("ok", result.GetProperty("restSendB").GetString());
        Assert.True(result.GetProperty("httpA").GetProperty("success").GetBoolean());
        Assert.Equal("forbidden", result.GetProperty("httpB").GetProperty("error").GetString());

        // A refreshed token (setAuth) that cannot read the room closes the channel; the client does not rejoin.
        Assert.Equal("SUBSCRIBED", result.GetProperty("joinSwitch").GetString());
        Assert.Equal(["SUBSCRIBED", "CLOSED"], Strings(result.GetProperty("statuses")));
        Assert.Equal(
            ["You no longer have permission to read from this Channel topic: " + PrivateChannelServerFixture.RoomA],
            Strings(result.GetProperty("systemMessages")));
    }

    private static string? Status(JsonElement result, string name) => result.GetProperty(name).GetProperty("status").GetString();

    private static string[] From(JsonElement messages) => [.. messages.EnumerateArray().Select(m => m.GetProperty("from").GetString()!)];

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];
}
