namespace MadBase.Protocol.Phoenix;

/// <summary>
/// One Phoenix message as parsed from a client text frame. Every member is a view of the input buffer and is only
/// valid while that buffer is (the Edge handles the message before reading the next frame).
/// </summary>
internal readonly ref struct PhoenixMessage
{
    public PhoenixMessage(PhoenixString joinRef, PhoenixString @ref, PhoenixString topic, PhoenixString @event, ReadOnlySpan<byte> payload)
    {
        JoinRef = joinRef;
        Ref = @ref;
        Topic = topic;
        Event = @event;
        Payload = payload;
    }

    /// <summary>The channel join's ref; null for socket-level messages (heartbeat) and v1 frames without it.</summary>
    public PhoenixString JoinRef { get; }

    /// <summary>This message's ref, echoed by the reply; null when the client expects no reply.</summary>
    public PhoenixString Ref { get; }

    /// <summary>Never null: the parser rejects frames without a string topic.</summary>
    public PhoenixString Topic { get; }

    /// <summary>Never null: the parser rejects frames without a string event.</summary>
    public PhoenixString Event { get; }

    /// <summary>The payload exactly as sent: the bytes of one JSON value of any kind, not re-serialised.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}
