using System.Net;
using System.Net.Http.Headers;
using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.Tests.Realtime;

/// <summary><c>POST /realtime/v1/api/broadcast</c> and <c>…/broadcast/{name}/events/{event}</c> reaching joined sockets.</summary>
public sealed class RealtimeBroadcastApiTests(RealtimeServerFixture server) : IClassFixture<RealtimeServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PostMessages_ValidKey_Returns202AndDeliversToJoinedSockets()
    {
        await using var socket = await JoinAsync("rest-batch");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast?apikey=x&vsn=2.0.0")
        {
            Content = new StringContent("""{"messages":[{"topic":"rest-batch","event":"news","payload":{"a":[1,"ü"]},"private":false}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.Anon);

        var response = await server.Edge.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("""[null,null,"realtime:rest-batch","broadcast",{"type":"broadcast","event":"news","payload":{"a":[1,"ü"]}}]""", await socket.ReadTextContainingAsync("broadcast", s_timeout));
    }

    [Fact]
    public async Task PostEvent_JsonAndOctetStream_Returns202AndDelivers()
    {
        await using var socket = await JoinAsync("rest-one");
        using var json = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast/rest-one/events/ping")
        {
            Content = new StringContent("""{"n":1}""", Encoding.UTF8, "application/json"),
        };
        json.Headers.Add("apikey", Tokens.Anon);
        Assert.Equal(HttpStatusCode.Accepted, (await server.Edge.Http.SendAsync(json)).StatusCode);
        Assert.Equal("""[null,null,"realtime:rest-one","broadcast",{"type":"broadcast","event":"ping","payload":{"n":1}}]""", await socket.ReadTextContainingAsync("broadcast", s_timeout));

        using var raw = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast/rest-one/events/bytes") { Content = new ByteArrayContent([9, 8, 7]) };
        raw.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        raw.Headers.Add("apikey", Tokens.Anon);
        Assert.Equal(HttpStatusCode.Accepted, (await server.Edge.Http.SendAsync(raw)).StatusCode);
        var frame = await socket.ReadFrameAsync(s_timeout);
        Assert.Equal(WebSocketOpcode.Binary, frame?.Opcode);
        Assert.Equal("0411050000" + Convert.ToHexString("realtime:rest-one"u8) + Convert.ToHexString("bytes"u8) + "090807", Convert.ToHexString(frame!.Value.Payload));
    }

    [Fact]
    public async Task PostEvent_OctetStreamWithAnEventLongerThanABinaryFrameCarries_Returns400_NextOneDelivered()
    {
        await using var socket = await JoinAsync("rest-long");
        foreach (var (eventName, status) in new[] { (new string('e', 256), HttpStatusCode.BadRequest), ("short", HttpStatusCode.Accepted) })
        {
            using var raw = new HttpRequestMessage(HttpMethod.Post, $"/realtime/v1/api/broadcast/rest-long/events/{eventName}") { Content = new ByteArrayContent([1]) };
            raw.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            raw.Headers.Add("apikey", Tokens.Anon);
            using var response = await server.Edge.Http.SendAsync(raw);
            Assert.Equal(status, response.StatusCode);
            if (status == HttpStatusCode.BadRequest)
            {
                Assert.Contains("at most 255 bytes", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }

        var frame = await socket.ReadFrameAsync(s_timeout);
        Assert.Equal(WebSocketOpcode.Binary, frame?.Opcode);
        Assert.EndsWith(Convert.ToHexString("short"u8) + "01", Convert.ToHexString(frame!.Value.Payload), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostMessages_ForgedKey_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent("""{"messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", Tokens.Create("anon", secret: "another-secret-another-secret-0123456789"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Edge.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task PostMessages_NotAMessageList_Returns400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/realtime/v1/api/broadcast")
        {
            Content = new StringContent("""{"messages":{}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("apikey", Tokens.Anon);
        Assert.Equal(HttpStatusCode.BadRequest, (await server.Edge.Http.SendAsync(request)).StatusCode);
    }

    private async Task<RawWebSocket> JoinAsync(string name)
    {
        var socket = await RawWebSocket.ConnectAsync(server.Edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await socket.SendTextAsync($$$"""["1","1","realtime:{{{name}}}","phx_join",{"config":{}}]""");
        await socket.ReadTextContainingAsync("phx_reply", s_timeout);
        return socket;
    }
}
