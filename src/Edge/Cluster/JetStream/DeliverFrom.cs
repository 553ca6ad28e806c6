namespace MadBase.Edge.Cluster.JetStream;

/// <summary>Where an ordered consumer starts: the stream's first message, a given sequence, or its last message.</summary>
internal readonly record struct DeliverFrom(string Policy, ulong StartSeq)
{
    public static DeliverFrom All { get; } = new("all", 0);

    public static DeliverFrom Last { get; } = new("last", 0);

    /// <summary>From <paramref name="seq"/> (or the first held above it, when the stream's limits removed it).</summary>
    public static DeliverFrom Sequence(ulong seq) => new("by_start_sequence", seq);
}
