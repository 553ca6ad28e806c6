namespace MadBase.Protocol.Http;

/// <summary>
/// The parts of an HTTP/1.1 request head that a WebSocket opening handshake (RFC 6455 §4.2.1) and the realtime
/// endpoint need. Every other header is skipped while parsing, so nothing per header is allocated for them.
/// Repeated headers are joined with ", " as RFC 9110 §5.3 allows for list-valued fields.
/// </summary>
internal sealed class HttpUpgradeRequest
{
    public required string Method { get; init; }

    /// <summary>The origin-form target: path plus optional <c>?query</c>, still percent-encoded.</summary>
    public required string Target { get; init; }

    /// <summary>Minor version of <c>HTTP/1.x</c>; the handshake requires 1.1 or later.</summary>
    public int MinorVersion { get; init; }

    public string? Host { get; set; }

    public string? Upgrade { get; set; }

    public string? Connection { get; set; }

    public string? SecWebSocketKey { get; set; }

    public string? SecWebSocketVersion { get; set; }

    /// <summary><c>x-api-key</c>: where upstream Realtime looks for the key before the <c>apikey</c> query parameter.</summary>
    public string? ApiKey { get; set; }

    public string Path => Target.IndexOf('?') is var q and >= 0 ? Target[..q] : Target;

    /// <summary>The query without its leading <c>?</c>; empty when there is none.</summary>
    public string Query => Target.IndexOf('?') is var q and >= 0 ? Target[(q + 1)..] : "";
}
