namespace MadBase.Edge.Cluster.JetStream;

/// <summary>The part of <c>$JS.API.STREAM.INFO</c>'s (and CREATE/UPDATE's) response MadBase reads: the error, or the state.</summary>
internal sealed class StreamInfo
{
    public ApiError? Error { get; set; }

    public StreamState? State { get; set; }
}

/// <summary>What a stream holds: messages <see cref="FirstSeq"/>..<see cref="LastSeq"/> (fewer if some were deleted).</summary>
internal sealed class StreamState
{
    public ulong Messages { get; set; }

    public ulong FirstSeq { get; set; }

    public ulong LastSeq { get; set; }
}
