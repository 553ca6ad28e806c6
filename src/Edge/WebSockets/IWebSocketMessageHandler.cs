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

    /// <summary>
    /// A Pong arrived (an answer to <see cref="WebSocketConnection.TryQueuePing"/>, or unsolicited): the client has read
    /// every frame sent before the Ping it answers. Called from the read loop, like <see cref="OnMessage"/>.
    /// </summary>
    void OnPong(ReadOnlySpan<byte> payload);

    /// <summary>The socket is gone (closed by either side, failed or aborted); called exactly once.</summary>
    void OnClosed();
}
