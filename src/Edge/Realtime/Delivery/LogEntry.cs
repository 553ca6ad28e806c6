namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// One change in the <see cref="DeliveryLog"/>: its position, when it was appended, its frames and who gets which.
/// Immutable once appended; readers find their own recipients by binary search (sorted by <see cref="LogCursor.Id"/>).
/// </summary>
/// <remarks>
/// Memory is frames plus recipients, and recipients would dominate: a 200,000-row transaction to 1,000 subscribers is
/// 200M (socket, channel) pairs. Consecutive changes of one table usually go to the same channels with the same
/// frame layout, so the router hands the same <see cref="Recipients"/> array to every such entry (see
/// <see cref="LogRecipientsBuilder"/>): per change only its frames are new. A shared array is counted against the
/// log's bound once, with the first entry that carries it.
/// </remarks>
internal sealed class LogEntry
{
    /// <summary>Bookkeeping bytes counted per entry and per recipient on top of the frames (object headers, fields).</summary>
    private const int EntryOverheadBytes = 64;
    private const int RecipientOverheadBytes = 24;

    /// <summary>One entry with its own recipients (resume replays, tests): frames are deduplicated by reference.</summary>
    public LogEntry(ChangePosition position, LogDelivery[] deliveries)
        : this(position, Build(deliveries, out var frames), frames, countRecipients: true)
    {
    }

    /// <param name="recipients">Sorted by reader id; may be shared with other entries (never changed after this).</param>
    /// <param name="frames">The frames <paramref name="recipients"/> point into.</param>
    /// <param name="countRecipients">False when an earlier entry carrying the same array already counted it.</param>
    public LogEntry(ChangePosition position, LogRecipient[] recipients, byte[][] frames, bool countRecipients)
    {
        Position = position;
        Recipients = recipients;
        Frames = frames;
        var bytes = EntryOverheadBytes + (countRecipients ? (long)recipients.Length * RecipientOverheadBytes : 0);
        foreach (var frame in frames)
        {
            bytes += frame.Length;
        }

        Bytes = bytes;
    }

    public ChangePosition Position { get; }

    /// <summary>The log's own sequence number (dense, from 0): what a <see cref="LogCursor"/> counts in.</summary>
    public long Sequence { get; internal set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when appended.</summary>
    public long AppendedAt { get; internal set; }

    /// <summary>Sorted by reader id; a reader with several channels on one change has adjacent recipients.</summary>
    public LogRecipient[] Recipients { get; }

    /// <summary>This change's distinct frames (one per serializer, topic, binding ids and payload projection).</summary>
    public byte[][] Frames { get; }

    /// <summary>What this entry counts against the log's byte bound.</summary>
    public long Bytes { get; }

    /// <summary>The range of <see cref="Recipients"/> addressed to <paramref name="reader"/> (empty when none).</summary>
    public (int Start, int End) RangeOf(LogCursor reader)
    {
        var id = reader.Id;
        var recipients = Recipients;
        int low = 0, high = recipients.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (recipients[middle].Reader.Id < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        var end = low;
        while (end < recipients.Length && ReferenceEquals(recipients[end].Reader, reader))
        {
            end++;
        }

        return (low, end);
    }

    internal static bool IsSortedByReader(ReadOnlySpan<LogRecipient> recipients)
    {
        for (var i = 1; i < recipients.Length; i++)
        {
            if (recipients[i - 1].Reader.Id > recipients[i].Reader.Id)
            {
                return false;
            }
        }

        return true;
    }

    internal static void SortByReader(Span<LogRecipient> recipients)
    {
        if (!IsSortedByReader(recipients))
        {
            // Usually already sorted: the router meets channels in join order, and reader ids grow with it.
            recipients.Sort(static (a, b) => a.Reader.Id.CompareTo(b.Reader.Id));
        }
    }

    private static LogRecipient[] Build(LogDelivery[] deliveries, out byte[][] frames)
    {
        var distinct = new List<byte[]>(1);
        var recipients = new LogRecipient[deliveries.Length];
        for (var i = 0; i < deliveries.Length; i++)
        {
            var frame = deliveries[i].Frame;
            var slot = distinct.FindIndex(f => ReferenceEquals(f, frame));
            if (slot < 0)
            {
                slot = distinct.Count;
                distinct.Add(frame);
            }

            recipients[i] = new LogRecipient(deliveries[i].Reader, deliveries[i].Channel, slot);
        }

        SortByReader(recipients);
        frames = [.. distinct];
        return recipients;
    }
}
