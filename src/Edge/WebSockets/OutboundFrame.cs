namespace MadBase.Edge.WebSockets;

/// <summary>
/// One complete, pre-encoded WebSocket frame. Frames are built once and shared by every subscriber they go to (a
/// broadcast per serializer version, a postgres_changes frame per change and (vsn, topic, binding ids)), so a queue
/// slot is one reference and the writer copies each frame into the socket's pipe with a single span copy.
/// </summary>
internal readonly struct OutboundFrame(byte[] bytes)
{
    public byte[] Bytes { get; } = bytes;

    public int Length => Bytes.Length;
}
