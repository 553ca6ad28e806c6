namespace MadBase.Edge.WebSockets;

/// <summary>
/// One complete, pre-encoded WebSocket frame as up to three pieces written back to back. A frame built once for
/// many subscribers is a single shared <see cref="Head"/>; a postgres_changes frame is a per-channel head
/// (WebSocket header + Phoenix prefix + ids), the change's shared JSON bytes and a short tail, so the change JSON
/// is never copied per subscriber until the writer coalesces it into its socket write.
/// </summary>
internal readonly struct OutboundFrame(ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> body = default, ReadOnlyMemory<byte> tail = default)
{
    public ReadOnlyMemory<byte> Head { get; } = head;

    public ReadOnlyMemory<byte> Body { get; } = body;

    public ReadOnlyMemory<byte> Tail { get; } = tail;

    public int Length => Head.Length + Body.Length + Tail.Length;
}
