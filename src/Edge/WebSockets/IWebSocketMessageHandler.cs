using MadBase.Protocol.WebSockets;

namespace MadBase.Edge.WebSockets;

/// <summary>What runs on top of the framing: receives whole, validated data messages, one at a time.</summary>
internal interface IWebSocketMessageHandler
{
    /// <summary>
    /// A complete Text (valid UTF-8) or Binary message. The span is only valid during the call; it is called from
    /// the connection's read loop, so implementations never see two messages at once.
    /// </summary>
    void OnMessage(WebSocketOpcode opcode, ReadOnlySpan<byte> payload);

    /// <summary>The socket is gone (closed by either side, failed or aborted); called exactly once.</summary>
    void OnClosed();
}
