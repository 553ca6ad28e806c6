namespace MadBase.Edge.Cluster.JetStream;

/// <summary>
/// <c>$JS.API.CONSUMER.CREATE.&lt;stream&gt;</c>'s request: an ephemeral consumer (no name, no durable name), which the
/// server removes by itself once nobody listens on its deliver subject.
/// </summary>
internal sealed class ConsumerCreateRequest
{
    public required string StreamName { get; init; }

    public required ConsumerSettings Config { get; init; }
}

/// <summary>
/// A push consumer's configuration, as an ordered consumer uses it: nothing acknowledged or redelivered (the client
/// re-creates the consumer instead), kept in memory on one replica, paced by flow control, and alive-checked by heartbeats.
/// </summary>
internal sealed class ConsumerSettings
{
    /// <summary><c>all</c>, <c>last</c> or <c>by_start_sequence</c> (with <see cref="OptStartSeq"/>).</summary>
    public required string DeliverPolicy { get; init; }

    public ulong? OptStartSeq { get; init; }

    public required string DeliverSubject { get; init; }

    public string AckPolicy { get; init; } = "none";

    public int MaxDeliver { get; init; } = 1;

    public string ReplayPolicy { get; init; } = "instant";

    public bool FlowControl { get; init; } = true;

    /// <summary>Nanoseconds.</summary>
    public long IdleHeartbeat { get; init; }

    public bool MemStorage { get; init; } = true;

    public int NumReplicas { get; init; } = 1;
}

/// <summary>The part of the consumer create response MadBase reads: the error, or the name the server gave the consumer.</summary>
internal sealed class ConsumerInfo
{
    public ApiError? Error { get; set; }

    public string? Name { get; set; }
}

/// <summary>Any API response read only for its error (consumer delete).</summary>
internal sealed class ApiResponse
{
    public ApiError? Error { get; set; }
}
