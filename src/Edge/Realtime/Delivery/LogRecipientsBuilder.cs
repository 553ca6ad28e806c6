using System.Runtime.InteropServices;

namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// Collects one change's frames and recipients for the router and makes its <see cref="LogEntry"/>. When the
/// recipients (socket, channel, frame slot) are the same as the previous change's, that change's array is reused, so a
/// burst of one table to N subscribers allocates per change only its frames, not N recipients (see
/// <see cref="LogEntry"/>). The last array is kept across transactions too: at steady fan-out every transaction is
/// one change to the same 10,000 channels (240 KB a change otherwise); what it pins is one array of channels until the
/// audience changes. Not thread-safe: the router's scratch.
/// </summary>
internal sealed class LogRecipientsBuilder
{
    private readonly List<LogRecipient> _recipients = [];
    private readonly List<byte[]> _frames = [];
    private LogRecipient[]? _previous;

    public int Count => _recipients.Count;

    /// <summary>Adds one of this change's distinct frames; returns its slot.</summary>
    public int AddFrame(byte[] frame)
    {
        _frames.Add(frame);
        return _frames.Count - 1;
    }

    public void Add(LogCursor reader, IChangeRecipient channel, int frameSlot) => _recipients.Add(new LogRecipient(reader, channel, frameSlot));

    /// <summary>The entry for what was added since the last call (at least one recipient), then starts the next change.</summary>
    public LogEntry Build(ChangePosition position)
    {
        var recipients = CollectionsMarshal.AsSpan(_recipients);
        LogEntry.SortByReader(recipients);
        var shared = _previous is { } previous && SameAs(recipients, previous);
        if (!shared)
        {
            _previous = recipients.ToArray();
        }

        var entry = new LogEntry(position, _previous!, [.. _frames], countRecipients: !shared);
        Clear();
        return entry;
    }

    /// <summary>Drops what was added for the current change.</summary>
    public void Clear()
    {
        _recipients.Clear();
        _frames.Clear();
    }

    private static bool SameAs(ReadOnlySpan<LogRecipient> recipients, LogRecipient[] previous)
    {
        if (recipients.Length != previous.Length)
        {
            return false;
        }

        for (var i = 0; i < recipients.Length; i++)
        {
            var a = recipients[i];
            var b = previous[i];
            if (!ReferenceEquals(a.Reader, b.Reader) || !ReferenceEquals(a.Channel, b.Channel) || a.Frame != b.Frame)
            {
                return false;
            }
        }

        return true;
    }
}
