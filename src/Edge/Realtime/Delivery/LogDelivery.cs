namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// One frame of a change for one channel of one socket. The frame is shared: every channel of a topic asking for the
/// same bindings points at the same array (built once per change).
/// </summary>
internal readonly struct LogDelivery(LogCursor reader, IChangeRecipient channel, byte[] frame)
{
    public LogCursor Reader { get; } = reader;

    public IChangeRecipient Channel { get; } = channel;

    public byte[] Frame { get; } = frame;
}
