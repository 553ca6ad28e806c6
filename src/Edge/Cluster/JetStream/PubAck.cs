namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// JetStream's answer to a publish: the stream and sequence that hold the message, <see cref="Duplicate"/> when its
/// <c>Nats-Msg-Id</c> was stored before (the sequence is then the first copy's), or an error.
/// </summary>
internal sealed class PubAck
{
    public ApiError? Error { get; set; }

    public string? Stream { get; set; }

    public ulong Seq { get; set; }

    public bool Duplicate { get; set; }
}
