using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using MadBase.Edge.Tests.Realtime;

namespace MadBase.Edge.Tests.Security;

/// <summary>
/// Security checks against the published binary that no client exercises (issue #17): tokens that choose their own
/// algorithm or are not valid yet, tampered signed URLs, oversized heads and bodies on every route, and request
/// smuggling on the realtime upgrade path. The codec-level cases are in <see cref="JwtSecurityTests"/> and
/// HttpUpgradeRequestReaderTests.
/// </summary>
public sealed class SecurityBoundaryTests(SecurityServerFixture fixture) : IClassFixture<SecurityServerFixture>
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Transports => ["epoll", "kestrel"];

    /// <summary>Every route family with its method; a request body where the route reads one.</summary>
    public static TheoryData<string, string> Routes => new()
    {
        { "GET", "/health" },
        { "GET", "/ready" },
        { "GET", "/metrics" },
        { "GET", "/storage/v1/bucket" },
        { "POST", "/storage/v1/bucket" },
        { "POST", "/storage/v1/object/list/b" },
        { "POST", "/storage/v1/object/b/a.txt" },
        { "GET", "/storage/v1/object/public/b/a.txt" },
        { "GET", "/storage/v1/object/sign/b/a.txt?token=x" },
        { "POST", "/storage/v1/upload/resumable" },
        { "PATCH", "/storage/v1/upload/resumable/abc" },
        { "POST", "/realtime/v1/api/broadcast" },
        { "GET", "/realtime/v1/websocket?vsn=2.0.0" },
        { "GET", "/socket/websocket?vsn=2.0.0" },
        { "GET", "/no/such/route" },
    };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Token_NotBefore50MinutesAhead_RefusedByStorageTusBroadcastAndSocket(string transport)
    {
        var edge = fixture.For(transport);
        var now = DateTimeOffset.UtcNow;
        var early = Sign("""{"alg":"HS256","typ":"JWT"}""", $$"""{"role":"service_role","nbf":{{now.AddMinutes(50).ToUnixTimeSeconds()}},"exp":{{now.AddHours(2).ToUnixTimeSeconds()}}}""");
        var withinLeeway = Sign("""{"alg":"HS256","typ":"JWT"}""", $$"""{"role":"service_role","nbf":{{now.AddSeconds(10).ToUnixTimeSeconds()}},"exp":{{now.AddHours(2).ToUnixTimeSeconds()}}}""");

        await AssertRefusedEverywhereAsync(edge, early, "token is not valid yet");
        await AssertAcceptedAsync(edge, withinLeeway);
    }

    [Theory]
    [InlineData("""{"alg":"none","typ":"JWT"}""", "")]
    [InlineData("""{"alg":"none","typ":"JWT"}""", "hmac")]
    [InlineData("""{"alg":"RS256","typ":"JWT"}""", "hmac")] // algorithm confusion: no RS/ES key set-up exists, nor is an HMAC accepted under another name
    [InlineData("""{"alg":"ES256","typ":"JWT"}""", "hmac")]
    [InlineData("""{"alg":"HS512","typ":"JWT"}""", "hmac")]
    [InlineData("""{"alg":"none","alg":"HS256"}""", "hmac")]
    public async Task Token_AlgorithmOtherThanHs256_RefusedEverywhere(string header, string signature)
    {
        var claims = $$"""{"role":"service_role","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}""";
        var token = signature == "hmac" ? Sign(header, claims) : B64(header) + "." + B64(claims) + ".";

        await AssertRefusedEverywhereAsync(fixture.Epoll, token, "unsupported token algorithm (only HS256)");
    }

    [Fact]
    public async Task SignedUrl_Tampered_RefusedWith400AndNeverServed()
    {
        var edge = fixture.Epoll;
        var bucket = "sec-" + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(edge, HttpMethod.Post, "storage/v1/bucket", Tokens.ServiceRole, $$"""{"id":"{{bucket}}","name":"{{bucket}}"}""");
        await SendAsync(edge, HttpMethod.Post, $"storage/v1/object/{bucket}/secret.txt", Tokens.ServiceRole, "top secret");
        await SendAsync(edge, HttpMethod.Post, $"storage/v1/object/{bucket}/open.txt", Tokens.ServiceRole, "open");
        var signed = JsonDocument.Parse(await SendAsync(edge, HttpMethod.Post, $"storage/v1/object/sign/{bucket}/open.txt", Tokens.ServiceRole, """{"expiresIn":60}"""))
            .RootElement.GetProperty("signedURL").GetString()!;
        var token = signed[(signed.IndexOf("token=", StringComparison.Ordinal) + 6)..];
        Assert.Equal("open", await edge.Http.GetStringAsync($"storage/v1/object/sign/{bucket}/open.txt?token={token}"));

        var parts = token.Split('.');
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64Url.DecodeFromChars(parts[1]))!;
        var forSecret = B64($$"""{"url":"{{bucket}}/secret.txt","scope":"download","iat":{{claims["iat"]}},"exp":{{claims["exp"]}}}""");
        var longer = B64($$"""{"url":"{{bucket}}/open.txt","scope":"download","iat":{{claims["iat"]}},"exp":9999999999}""");
        var signatureBytes = Base64Url.DecodeFromChars(parts[2]);
        signatureBytes[0] ^= 0x80;
        var cases = new (string Path, string Reason)[]
        {
            ($"{bucket}/secret.txt?token={token}", "the token was not issued for this object"),
            ($"{bucket}/secret.txt?token={parts[0]}.{forSecret}.{parts[2]}", "invalid signature"),
            ($"{bucket}/open.txt?token={parts[0]}.{longer}.{parts[2]}", "invalid signature"),
            ($"{bucket}/open.txt?token={parts[0]}.{parts[1]}.{Base64Url.EncodeToString(signatureBytes)}", "invalid signature"),
            ($"{bucket}/open.txt?token={B64("""{"alg":"none"}""")}.{parts[1]}.", "unsupported token algorithm (only HS256)"),
            ($"{bucket}/open.txt?token=a!b.{parts[1]}.{parts[2]}", "malformed token"), // a 500 before: TryDecodeFromChars threw
            ($"{bucket}/open.txt?token={parts[0]}.{parts[1]}", "malformed token"),
            ($"{bucket}/open.txt?token={Tokens.ServiceRole}", "malformed token claims"), // a session token is not a signed URL
        };
        foreach (var (path, reason) in cases)
        {
            using var response = await edge.Http.GetAsync("storage/v1/object/sign/" + path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Contains(reason, body, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", body.Replace($"{bucket}/secret.txt", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task OversizedHead_AnyRoute_431AndTheServerKeepsServing(string method, string path)
    {
        foreach (var edge in new[] { fixture.Epoll, fixture.Kestrel })
        {
            var request = Encoding.ASCII.GetBytes(
                $"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nCookie: {new string('c', 40 * 1024)}\r\n\r\n");

            var answer = await RawHttp.ExchangeAsync(edge.Port, request);

            Assert.True(RawHttp.StatusCodes(answer) is [431], $"{method} {path}: {Head(answer)}");
            Assert.Contains("Request Header Fields Too Large", answer, StringComparison.Ordinal);
            Assert.Equal("ok\n", await edge.Http.GetStringAsync("/health"));
        }
    }

    [Theory]
    [InlineData("/storage/v1/bucket", 2 * 1024 * 1024, "EntityTooLarge")]
    [InlineData("/storage/v1/object/list/b", 2 * 1024 * 1024, "EntityTooLarge")]
    [InlineData("/storage/v1/object/sign/b/a.txt", 2 * 1024 * 1024, "EntityTooLarge")]
    [InlineData("/storage/v1/object/move", 2 * 1024 * 1024, "EntityTooLarge")]
    [InlineData("/storage/v1/object/b/big.bin", SecurityServerFixture.MaxUploadBytes + 1, "Payload too large")]
    [InlineData("/realtime/v1/api/broadcast", SecurityServerFixture.MaxMessageBytes + 1, "larger than the message limit")] // a bare 500 before
    [InlineData("/realtime/v1/api/broadcast/room/events/e", SecurityServerFixture.MaxMessageBytes + 1, "larger than the message limit")]
    public async Task OversizedBody_BodyRoutes_413WithText(string path, int size, string text)
    {
        var bucket = "big-" + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(fixture.Epoll, HttpMethod.Post, "storage/v1/bucket", Tokens.ServiceRole, $$"""{"id":"{{bucket}}","name":"{{bucket}}"}""");
        using var request = new HttpRequestMessage(HttpMethod.Post, path.Replace("/b/", $"/{bucket}/", StringComparison.Ordinal));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Tokens.ServiceRole);
        request.Content = new ByteArrayContent(Encoding.ASCII.GetBytes("{\"x\":\"" + new string('x', size) + "\"}"));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.ExpectContinue = true; // refused before the body is sent, as a client should ask (else a reset may race the answer)

        using var response = await fixture.Epoll.Http.SendAsync(request);

        // The storage REST API answers in Supabase's shape: HTTP 400 with the real status as a string in the body
        // (docs/protocol/tus-and-storage.md §Error shape); everything else with the real 413.
        var body = await response.Content.ReadAsStringAsync();
        var storageShape = path.StartsWith("/storage/", StringComparison.Ordinal) && response.StatusCode == HttpStatusCode.BadRequest && body.Contains("\"statusCode\":\"413\"", StringComparison.Ordinal);
        Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge || storageShape, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Contains(text, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedBody_TusCreateAndPatchPastLength_413WithText()
    {
        var edge = fixture.Epoll;
        var bucket = "tus-" + Guid.NewGuid().ToString("N")[..8];
        await SendAsync(edge, HttpMethod.Post, "storage/v1/bucket", Tokens.ServiceRole, $$"""{"id":"{{bucket}}","name":"{{bucket}}"}""");
        var metadata = $"bucketName {B64Std(bucket)},objectName {B64Std("a.bin")}";

        using var tooLong = Tus(HttpMethod.Post, "storage/v1/upload/resumable");
        tooLong.Headers.Add("Upload-Length", (SecurityServerFixture.MaxUploadBytes + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        tooLong.Headers.Add("Upload-Metadata", metadata);
        using var refused = await edge.Http.SendAsync(tooLong);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.NotEmpty(await refused.Content.ReadAsStringAsync());

        using var create = Tus(HttpMethod.Post, "storage/v1/upload/resumable");
        create.Headers.Add("Upload-Length", "10");
        create.Headers.Add("Upload-Metadata", metadata);
        using var created = await edge.Http.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var patch = Tus(HttpMethod.Patch, created.Headers.Location!.ToString());
        patch.Headers.Add("Upload-Offset", "0");
        patch.Content = new ByteArrayContent(new byte[11]);
        patch.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        using var patched = await edge.Http.SendAsync(patch);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, patched.StatusCode);
        Assert.NotEmpty(await patched.Content.ReadAsStringAsync());

        using var head = Tus(HttpMethod.Head, created.Headers.Location!.ToString());
        using var offset = await edge.Http.SendAsync(head);
        Assert.Equal("0", offset.Headers.GetValues("Upload-Offset").Single());
    }

    [Theory]
    [InlineData("epoll", "Content-Length: 26\r\n", "GET /health HTTP/1.1\r\n\r\n\r\n")]
    [InlineData("kestrel", "Content-Length: 26\r\n", "GET /health HTTP/1.1\r\n\r\n\r\n")]
    [InlineData("epoll", "Transfer-Encoding: chunked\r\n", "0\r\n\r\nGET /health HTTP/1.1\r\n\r\n")]
    [InlineData("kestrel", "Transfer-Encoding: chunked\r\n", "0\r\n\r\nGET /health HTTP/1.1\r\n\r\n")]
    [InlineData("epoll", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nGET /health HTTP/1.1\r\n\r\n")]
    [InlineData("kestrel", "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\nGET /health HTTP/1.1\r\n\r\n")]
    [InlineData("epoll", "Host: evil.example\r\n", "")]
    [InlineData("kestrel", "Host: evil.example\r\n", "")]
    public async Task Upgrade_BodyDeclaredOrHostTwice_400NoUpgradeNoSecondResponse(string transport, string extraHeaders, string after)
    {
        var edge = fixture.For(transport);
        var request = RawWebSocket.UpgradeRequest(edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0", extraHeaders);

        var answer = await RawHttp.ExchangeAsync(edge.Port, [.. request, .. Encoding.ASCII.GetBytes(after)]);

        Assert.True(RawHttp.StatusCodes(answer) is [400], Head(answer));
        Assert.Contains("Connection: close", answer, StringComparison.Ordinal);
        Assert.Contains(extraHeaders.StartsWith("Host", StringComparison.Ordinal) ? "Host" : "body", RawHttp.FirstBody(answer), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Upgrade_RequestPipelinedAfterTheHead_IsFramesNotHttp_Closed1002(string transport)
    {
        var edge = fixture.For(transport);
        var request = RawWebSocket.UpgradeRequest(edge.Port, $"/realtime/v1/websocket?apikey={Tokens.Anon}&vsn=2.0.0");
        await using var socket = await RawWebSocket.SendRawAsync(edge.Port, [.. request, .. "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray()]);

        Assert.Equal(101, socket.StatusCode);
        Assert.Equal(MadBase.Protocol.WebSockets.WebSocketCloseStatus.ProtocolError, await socket.ReadCloseCodeAsync(s_timeout));
        Assert.DoesNotContain("HTTP/1.1", await socket.ReadBodyToEndAsync(s_timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Http_ContentLengthAndTransferEncoding_OneResponseOnly()
    {
        // Kestrel's own handling, checked so a change of server or setting cannot reopen it: with both headers the
        // chunked framing wins (RFC 9112 §6.3) and the connection is closed after the response, so the smuggled
        // request is never answered.
        var body = "0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
        var request = Encoding.ASCII.GetBytes(
            $"POST /realtime/v1/api/broadcast HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n" +
            $"Transfer-Encoding: chunked\r\nAuthorization: Bearer {Tokens.ServiceRole}\r\n\r\n{body}");

        var answer = await RawHttp.ExchangeAsync(fixture.Epoll.Port, request);

        Assert.Single(RawHttp.StatusCodes(answer));
        Assert.DoesNotContain("process_resident_memory_bytes", answer, StringComparison.Ordinal);
    }

    private static async Task AssertRefusedEverywhereAsync(EdgeProcess edge, string token, string reason)
    {
        using (var storage = new HttpRequestMessage(HttpMethod.Get, "storage/v1/bucket"))
        {
            storage.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await edge.Http.SendAsync(storage);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"storage: {(int)response.StatusCode} {body}");
            Assert.Contains(reason, body, StringComparison.Ordinal);
        }

        using (var tus = Tus(HttpMethod.Post, "storage/v1/upload/resumable", token))
        {
            tus.Headers.Add("Upload-Length", "1");
            tus.Headers.Add("Upload-Metadata", $"bucketName {B64Std("b")},objectName {B64Std("a")}");
            using var response = await edge.Http.SendAsync(tus);
            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"tus: {(int)response.StatusCode}");
        }

        using (var broadcast = new HttpRequestMessage(HttpMethod.Post, "realtime/v1/api/broadcast"))
        {
            broadcast.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            broadcast.Content = new StringContent("""{"messages":[{"topic":"t","event":"e","payload":{}}]}""", Encoding.UTF8, "application/json");
            using var response = await edge.Http.SendAsync(broadcast);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"broadcast: {(int)response.StatusCode}");
        }

        await using var socket = await RawWebSocket.ConnectAsync(edge.Port, $"/realtime/v1/websocket?apikey={token}&vsn=2.0.0");
        Assert.Equal(401, socket.StatusCode);
        Assert.Contains(reason, await socket.ReadBodyToEndAsync(s_timeout), StringComparison.Ordinal);
    }

    private static async Task AssertAcceptedAsync(EdgeProcess edge, string token)
    {
        using var storage = new HttpRequestMessage(HttpMethod.Get, "storage/v1/bucket");
        storage.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await edge.Http.SendAsync(storage);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var socket = await RawWebSocket.ConnectAsync(edge.Port, $"/realtime/v1/websocket?apikey={token}&vsn=2.0.0");
        Assert.Equal(101, socket.StatusCode);
    }

    private static HttpRequestMessage Tus(HttpMethod method, string path, string? token = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token ?? Tokens.ServiceRole);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    private static async Task<string> SendAsync(EdgeProcess edge, HttpMethod method, string path, string token, string body)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Content = new StringContent(body, Encoding.UTF8, body.StartsWith('{') ? "application/json" : "text/plain");
        using var response = await edge.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {text}");
        return text;
    }

    private static string Head(string answer) => answer.Length > 400 ? answer[..400] : answer;

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string B64Std(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string Sign(string header, string claims)
    {
        var head = B64(header) + "." + B64(claims);
        return head + "." + Base64Url.EncodeToString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(TestEnvironment.JwtSecret), Encoding.ASCII.GetBytes(head)));
    }
}
