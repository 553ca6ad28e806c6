namespace MadBase.Edge.WebSockets;

/// <summary>
/// Frames a socket reads from a log shared by many sockets (postgres_changes), at its own pace and from its own
/// position, instead of having them pushed into its <see cref="OutboundQueue"/>. The queue asks for more only when
/// the source told it there is more (<see cref="OutboundQueue.NotifySource"/>), and only while it is not closing.
/// </summary>
internal interface ISharedFrameSource
{
    /// <summary>
    /// Appends this socket's next frames to <paramref name="batch"/> (growing it when needed) from <paramref name="count"/>
    /// on, at most about <paramref name="maxBytes"/>. Called by the socket's writer only, one call at a time.
    /// </summary>
    /// <returns>True when more frames may be waiting (the writer should come back); false when caught up.</returns>
    bool ReadInto(ref OutboundFrame[] batch, ref int count, int maxBytes);

    /// <summary>The writer has handed every frame it took so far to the transport.</summary>
    void OnFlushed();
}
