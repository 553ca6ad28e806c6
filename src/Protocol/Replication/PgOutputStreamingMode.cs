namespace MadBase.Protocol.Replication;

/// <summary>The pgoutput <c>streaming</c> option that was sent in START_REPLICATION.</summary>
internal enum PgOutputStreamingMode
{
    /// <summary>Large transactions arrive only after commit, as one Begin…Commit block.</summary>
    Off,

    /// <summary>streaming=on (proto_version ≥ 2): in-progress transactions arrive in Stream Start/Stop blocks.</summary>
    On,

    /// <summary>streaming=parallel (proto_version ≥ 4): as <see cref="On"/>, and Stream Abort carries abort LSN and time.</summary>
    Parallel,
}
