namespace MadBase.Edge.WebSockets;

/// <summary>Per-connection limits the framing layer enforces.</summary>
internal sealed record WebSocketLimits(int MaxMessageBytes, int OutboundQueueCapacity, TimeSpan OutboundFullGrace)
{
    /// <summary>How long to wait for the peer's Close after ours before dropping the TCP connection.</summary>
    public TimeSpan CloseHandshakeTimeout { get; init; } = TimeSpan.FromSeconds(2);
}
