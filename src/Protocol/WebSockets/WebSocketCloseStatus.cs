namespace MadBase.Protocol.WebSockets;

/// <summary>
/// RFC 6455 §7.4 close status codes. Codes are an open range (3000–4999 belong to libraries and applications), so
/// they are carried as <see cref="ushort"/> rather than an enum.
/// </summary>
/// <remarks>https://www.rfc-editor.org/rfc/rfc6455#section-7.4</remarks>
internal static class WebSocketCloseStatus
{
    public const ushort NormalClosure = 1000;
    public const ushort GoingAway = 1001;
    public const ushort ProtocolError = 1002;
    public const ushort UnsupportedData = 1003;

    /// <summary>Reserved: never sent on the wire (§7.4.1).</summary>
    public const ushort Reserved = 1004;

    /// <summary>"No status received": an API value for an empty close payload, never sent on the wire.</summary>
    public const ushort NoStatusReceived = 1005;

    /// <summary>"Abnormal closure": an API value for a dropped connection, never sent on the wire.</summary>
    public const ushort AbnormalClosure = 1006;

    public const ushort InvalidPayloadData = 1007;
    public const ushort PolicyViolation = 1008;
    public const ushort MessageTooBig = 1009;
    public const ushort MandatoryExtension = 1010;
    public const ushort InternalServerError = 1011;

    // 1012–1014 were registered with IANA after RFC 6455 (service restart, try again later, bad gateway).
    public const ushort ServiceRestart = 1012;
    public const ushort TryAgainLater = 1013;
    public const ushort BadGateway = 1014;

    /// <summary>"TLS handshake failure": an API value, never sent on the wire.</summary>
    public const ushort TlsHandshakeFailure = 1015;

    /// <summary>
    /// Whether <paramref name="code"/> may appear in a Close frame: 1000–1003, 1007–1014 and 3000–4999.
    /// 0–999 are unused, 1004/1005/1006/1015 are reserved for APIs, the rest of 1016–2999 is unassigned and
    /// 5000+ is out of range; an endpoint receiving any of those must fail the connection with 1002.
    /// </summary>
    public static bool IsValidOnWire(ushort code) => code switch
    {
        >= NormalClosure and <= UnsupportedData => true,
        >= InvalidPayloadData and <= BadGateway => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
