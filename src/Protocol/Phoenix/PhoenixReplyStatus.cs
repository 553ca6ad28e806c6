namespace MadBase.Protocol.Phoenix;

/// <summary>The <c>status</c> of a <c>phx_reply</c> payload.</summary>
internal enum PhoenixReplyStatus
{
    /// <summary><c>"ok"</c>: the push succeeded (join accepted, heartbeat answered, ack).</summary>
    Ok,

    /// <summary><c>"error"</c>: the client reports CHANNEL_ERROR with the response values and retries.</summary>
    Error,
}
