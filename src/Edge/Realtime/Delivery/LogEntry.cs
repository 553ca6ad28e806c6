namespace MadBase.Edge.Realtime.Delivery;

/// <summary>
/// One change in the <see cref="DeliveryLog"/>: its position, when it was appended and who it goes to. Immutable once
/// appended; readers find their own deliveries by binary search (sorted by <see cref="LogCursor.Id"/>).
/// </summary>
internal sealed class LogEntry
{
    /// <summary>Bookkeeping bytes counted per entry and per delivery on top of the frames (object headers, fields).</summary>
    private const int EntryOverheadBytes = 64;
    private const int DeliveryOverheadBytes = 24;

    public LogEntry(ChangePosition position, LogDelivery[] deliveries)
    {
        Position = position;
        if (!IsSortedByReader(deliveries))
        {
            // Usually already sorted: the router meets channels in join order, and reader ids grow with it.
            Array.Sort(deliveries, static (a, b) => a.Reader.Id.CompareTo(b.Reader.Id));
        }
        Deliveries = deliveries;

        // Frames are shared between deliveries: each distinct array is counted once (they are grouped, so comparing
        // with the previously counted one catches nearly all repeats without a set).
        var bytes = EntryOverheadBytes + (long)deliveries.Length * DeliveryOverheadBytes;
        byte[]? last = null;
        foreach (var delivery in deliveries)
        {
            if (!ReferenceEquals(delivery.Frame, last))
            {
                bytes += delivery.Frame.Length;
                last = delivery.Frame;
            }
        }

        Bytes = bytes;
    }

    public ChangePosition Position { get; }

    /// <summary>The log's own sequence number (dense, from 0): what a <see cref="LogCursor"/> counts in.</summary>
    public long Sequence { get; internal set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when appended.</summary>
    public long AppendedAt { get; internal set; }

    /// <summary>Sorted by reader id; a reader with several channels on one change has adjacent deliveries.</summary>
    public LogDelivery[] Deliveries { get; }

    /// <summary>What this entry counts against the log's byte bound.</summary>
    public long Bytes { get; }

    private static bool IsSortedByReader(LogDelivery[] deliveries)
    {
        for (var i = 1; i < deliveries.Length; i++)
        {
            if (deliveries[i - 1].Reader.Id > deliveries[i].Reader.Id)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The range of <see cref="Deliveries"/> addressed to <paramref name="reader"/> (empty when none).</summary>
    public (int Start, int End) RangeOf(LogCursor reader)
    {
        var id = reader.Id;
        int low = 0, high = Deliveries.Length;
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            if (Deliveries[middle].Reader.Id < id)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        var end = low;
        while (end < Deliveries.Length && ReferenceEquals(Deliveries[end].Reader, reader))
        {
            end++;
        }

        return (low, end);
    }
}
