namespace MadBase.Protocol.WebSockets;

/// <summary>Maps each <see cref="WebSocketProtocolError"/> to the one close code the Edge sends for it.</summary>
internal static class WebSocketProtocolErrorExtensions
{
    /// <summary>
    /// 1007 for bad UTF-8 (§7.4.1 "data within a message that was not consistent with the type"), 1009 for size
    /// limits, 1002 for every other framing violation.
    /// </summary>
    public static ushort ToCloseStatus(this WebSocketProtocolError error) => error switch
    {
        WebSocketProtocolError.InvalidUtf8 => WebSocketCloseStatus.InvalidPayloadData,
        WebSocketProtocolError.MessageTooBig => WebSocketCloseStatus.MessageTooBig,
        _ => WebSocketCloseStatus.ProtocolError,
    };
}
