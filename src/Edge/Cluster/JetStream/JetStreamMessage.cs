namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// One stream message as an <see cref="OrderedConsumer"/> hands it on: its subject, payload (empty, never null), its
/// sequence in the stream and how many the stream held after it when it was sent (<see cref="Pending"/>).
/// </summary>
internal readonly record struct JetStreamMessage(string Subject, byte[] Data, ulong StreamSeq, ulong Pending);
