using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MadBase.Edge.Auth;
using MadBase.Edge.Json;
using MadBase.Edge.WebSockets;
using MadBase.Edge.WebSockets.Pipe;
using MadBase.Protocol.Http;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.WebSockets;
using Microsoft.AspNetCore.WebUtilities;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>Why an opening handshake was refused: the HTTP status and Supabase's error body.</summary>
internal readonly record struct HandshakeRefusal(int Status, string Error, string Message)
{
    /// <summary>426 for a wrong version also names the one we speak (RFC 6455 §4.2.2).</summary>
    public bool AdvertiseVersion => Error == "unsupported_version";
}

/// <summary>An accepted opening handshake: what the 101 carries and what the session starts with.</summary>
internal sealed record AcceptedHandshake(string Accept, PhoenixVersion Version, JwtClaims Claims, string Token);

/// <summary>
/// The realtime socket's opening-handshake rules, shared by every way a socket arrives (the epoll transport, the
/// connection middleware and the Kestrel endpoint): RFC 6455 §4.2.1 checks, the Phoenix <c>vsn</c>, and the key — a
/// JWT or one of the node's opaque <c>sb_…</c> keys (docs/protocol/realtime.md §Connecting) — and the responses
/// written below the HTTP layer.
/// </summary>
internal static class RealtimeHandshake
{
    /// <summary>Largest request head accepted (Kestrel's default <c>MaxRequestHeadersTotalSize</c>).</summary>
    public const int MaxHeadBytes = 32 * 1024;

    /// <summary>How long a claimed connection may take to send its whole head (Kestrel's <c>RequestHeadersTimeout</c>).</summary>
    public static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a new connection's first bytes before leaving it to Kestrel's own timeouts.</summary>
    public static readonly TimeSpan SniffTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Upstream Realtime's 401 text for a key that is not a JWT — what it answers when the gateway passes an
    /// <c>sb_…</c> key it does not know straight through (docs/protocol/realtime.md §Connecting).
    /// </summary>
    public const string UnknownApiKeyMessage = "The token provided is not a valid JWT";

    private static readonly byte[] s_switchingProtocolsHead =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: "u8.ToArray();

    /// <summary>
    /// Whether a connection's first bytes are a request line for the socket (<c>GET /realtime/v1/websocket</c> or
    /// upstream's <c>GET /socket/websocket</c>), are not, or are too few to tell yet.
    /// </summary>
    public static HttpRequestLineMatch MatchRequestLine(in ReadOnlySequence<byte> buffer)
    {
        var realtime = HttpUpgradeRequestReader.MatchRequestLine(buffer, "GET"u8, "/realtime/v1/websocket"u8);
        if (realtime == HttpRequestLineMatch.Match)
        {
            return realtime;
        }

        var alias = HttpUpgradeRequestReader.MatchRequestLine(buffer, "GET"u8, "/socket/websocket"u8);
        return alias == HttpRequestLineMatch.Match ? alias
            : realtime == HttpRequestLineMatch.NeedMore || alias == HttpRequestLineMatch.NeedMore ? HttpRequestLineMatch.NeedMore
            : HttpRequestLineMatch.NoMatch;
    }

    /// <summary>The checks for a head read below the HTTP layer; the key comes from <c>x-api-key</c>, else the <c>apikey</c> parameter.</summary>
    public static bool TryAccept(RealtimeHub hub, HttpUpgradeRequest request, [NotNullWhen(true)] out AcceptedHandshake? accepted, out HandshakeRefusal refusal)
    {
        var target = request.Target.AsSpan();
        var query = target.IndexOf('?') is var q and >= 0 ? target[(q + 1)..] : [];
        return TryAccept(
            hub,
            request.Method == "GET" && request.MinorVersion >= 1,
            request.Upgrade,
            request.Connection,
            request.SecWebSocketVersion,
            request.SecWebSocketKey,
            QueryValue(query, "vsn"),
            string.IsNullOrEmpty(request.ApiKey) ? QueryValue(query, "apikey") : request.ApiKey,
            out accepted,
            out refusal);
    }

    /// <summary>
    /// The first <paramref name="name"/> parameter of a query string, as a slice of it when it needs no decoding (a
    /// JWT, a vsn): the socket's key is then looked up in the verified-token table without a string of its own.
    /// </summary>
    public static ReadOnlySpan<char> QueryValue(ReadOnlySpan<char> query, string name)
    {
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            if (pair.Length > name.Length && pair[name.Length] == '=' && pair.StartsWith(name, StringComparison.Ordinal))
            {
                var value = pair[(name.Length + 1)..];
                return value.ContainsAny('%', '+') ? Uri.UnescapeDataString(value.ToString().Replace('+', ' ')) : value;
            }
        }

        return [];
    }

    /// <summary>A head that is malformed (400) or larger than the limit (431).</summary>
    public static HandshakeRefusal BadHead(HttpHeadError error, string message) =>
        new(error == HttpHeadError.HeadTooLarge ? StatusCodes.Status431RequestHeaderFieldsTooLarge : StatusCodes.Status400BadRequest, "bad_request", message);

    /// <summary>The 101 response's length for any accept value (always 28 base64 characters).</summary>
    public static int SwitchingProtocolsLength => s_switchingProtocolsHead.Length + WebSocketHandshake.AcceptLength + 4;

    /// <summary>Writes the 101 response into <paramref name="destination"/> (<see cref="SwitchingProtocolsLength"/> bytes).</summary>
    public static void WriteSwitchingProtocols(string accept, Span<byte> destination)
    {
        s_switchingProtocolsHead.CopyTo(destination);
        var written = s_switchingProtocolsHead.Length + Encoding.ASCII.GetBytes(accept, destination[s_switchingProtocolsHead.Length..]);
        "\r\n\r\n"u8.CopyTo(destination[written..]);
    }

    /// <summary>The refusal as a complete HTTP/1.1 response with Supabase's JSON error body; the connection then closes.</summary>
    public static byte[] RefusalResponse(HandshakeRefusal refusal)
    {
        var status = refusal.Status.ToString(CultureInfo.InvariantCulture);
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorResponse(status, refusal.Error, refusal.Message), EdgeJsonContext.Default.ErrorResponse);
        var head = new StringBuilder()
            .Append("HTTP/1.1 ").Append(status).Append(' ').Append(ReasonPhrases.GetReasonPhrase(refusal.Status)).Append("\r\n")
            .Append("Content-Type: application/json; charset=utf-8\r\n")
            .Append("Content-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append(refusal.AdvertiseVersion ? "Sec-WebSocket-Version: 13\r\n" : "")
            .Append("Connection: close\r\n\r\n")
            .ToString();
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    public static bool TryAccept(
        RealtimeHub hub,
        bool upgradable,
        string? upgrade,
        string? connection,
        string? version,
        string? key,
        ReadOnlySpan<char> vsn,
        ReadOnlySpan<char> token,
        [NotNullWhen(true)] out AcceptedHandshake? accepted,
        out HandshakeRefusal refusal)
    {
        accepted = null;
        refusal = default;
        if (!upgradable || !HasToken(upgrade, "websocket") || !HasToken(connection, "upgrade"))
        {
            refusal = new(StatusCodes.Status426UpgradeRequired, "upgrade_required", "Expected a WebSocket upgrade (Upgrade: websocket, Connection: Upgrade).");
        }
        else if (!version.AsSpan().Trim().SequenceEqual("13"))
        {
            refusal = new(StatusCodes.Status426UpgradeRequired, "unsupported_version", "Only Sec-WebSocket-Version 13 is supported.");
        }
        else if (!TryComputeAccept(key, out var accept))
        {
            refusal = new(StatusCodes.Status400BadRequest, "bad_request", "Sec-WebSocket-Key must be the base64 encoding of 16 bytes.");
        }
        else if (!PhoenixVsn.TryParse(vsn, out var phoenixVersion))
        {
            refusal = new(StatusCodes.Status400BadRequest, "bad_request", "vsn must be 1.0.x or 2.0.x.");
        }
        else if (Credentials.CheckKey(hub.Jwt, hub.ApiKeys, token, out var tokenText, out var claims, out var problem) is var check and not CredentialCheck.Valid)
        {
            refusal = new(StatusCodes.Status401Unauthorized, "unauthorized", check == CredentialCheck.UnknownApiKey ? UnknownApiKeyMessage : problem);
        }
        else if (hub.IsStopping)
        {
            refusal = new(StatusCodes.Status503ServiceUnavailable, "shutting_down", "The server is shutting down.");
        }
        else
        {
            accepted = new AcceptedHandshake(accept, phoenixVersion, claims, tokenText);
            return true;
        }

        hub.SocketMetrics.Refused.Increment();
        Log.UpgradeRefused(hub.Logger, refusal.Status, refusal.Message);
        return false;
    }

    /// <summary>
    /// Runs an upgraded socket's session until it closes (the 101 has been sent). Not async itself: one fewer state
    /// machine kept alive per open socket.
    /// </summary>
    public static Task RunSessionAsync(RealtimeHub hub, PipeWebSocketConnection connection, AcceptedHandshake handshake) =>
        connection.RunAsync(StartSession(hub, connection, handshake));

    /// <summary>The session of a socket whose 101 has been sent, registered with the hub.</summary>
    public static RealtimeSession StartSession(RealtimeHub hub, WebSocketConnection connection, AcceptedHandshake handshake)
    {
        hub.SocketMetrics.Accepted.Increment();
        var session = new RealtimeSession(hub, connection, handshake.Version, handshake.Claims, handshake.Token);
        hub.Register(session);
        if (hub.IsStopping)
        {
            connection.Close(WebSocketCloseStatus.GoingAway, "server shutting down"); // lost the race with CloseAll
        }

        Log.SocketOpened(hub.Logger, handshake.Version == PhoenixVersion.V2 ? "2.0.0" : "1.0.0", handshake.Claims.Role);
        return session;
    }

    private static bool TryComputeAccept(string? key, out string accept)
    {
        Span<char> chars = stackalloc char[WebSocketHandshake.AcceptLength];
        if (key is null || !WebSocketHandshake.TryComputeAccept(key.AsSpan().Trim(), chars))
        {
            accept = "";
            return false;
        }

        accept = new string(chars);
        return true;
    }

    /// <summary>Whether a comma-separated header value contains <paramref name="token"/>, ignoring case.</summary>
    private static bool HasToken(string? value, string token)
    {
        var text = value.AsSpan();
        foreach (var range in text.Split(','))
        {
            if (text[range].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
