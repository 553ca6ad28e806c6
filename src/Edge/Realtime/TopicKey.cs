namespace MadBase.Edge.Realtime;

/// <summary>
/// A fan-out topic: the wire topic plus whether it is private. A private and a public channel of the same name are
/// separate topics (docs/protocol/realtime.md §Broadcast): neither sees the other's broadcasts or presence.
/// </summary>
internal readonly record struct TopicKey(string Topic, bool IsPrivate);
