namespace MadBase.Load.Realtime;

/// <summary>What differs between a raw broadcast peer and a Phoenix channel server, as seen by a subscriber.</summary>
internal interface ISubscriberProtocol
{
    /// <summary>Request target of client <paramref name="client"/>'s WebSocket upgrade, query included.</summary>
    string SubscribePath(int client);

    /// <summary>Masked frame sent right after the handshake, or null when a bare connection is already subscribed.</summary>
    byte[]? SubscribeFrame { get; }

    /// <summary>Masked application heartbeat frame, or null when the protocol has none.</summary>
    byte[]? HeartbeatFrame { get; }

    /// <summary>Classifies one complete text message; <paramref name="seq"/> and <paramref name="sentMicros"/> are set for ticks.</summary>
    TickKind Classify(ReadOnlySpan<byte> text, out long seq, out long sentMicros);
}
