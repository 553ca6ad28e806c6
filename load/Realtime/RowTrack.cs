using System.Collections;

namespace MadBase.Load.Realtime;

/// <summary>
/// One client's record of the rows it was sent, across reconnects: which ids of the expected range arrived (a bit
/// each, so a repeat is told from a reordering), how many came twice or out of order, and when. Only the client's
/// receiver thread writes it; the mode reads the counters (volatile) while it waits and everything once it is done.
/// </summary>
internal sealed class RowTrack(int client, long firstId, long lastId)
{
    private readonly BitArray _seen = new(checked((int)(lastId - firstId + 1)));
    private long _received;
    private long _maxSeen = firstId - 1;

    public int Client { get; } = client;

    public long FirstId { get; } = firstId;

    public long LastId { get; } = lastId;

    /// <summary>Distinct ids of the range received so far.</summary>
    public long Received => Volatile.Read(ref _received);

    /// <summary>Ids received again (a repeat, whatever came between).</summary>
    public long Duplicates { get; private set; }

    /// <summary>Ids received after a higher one (first arrivals only).</summary>
    public long OutOfOrder { get; private set; }

    /// <summary>Ids outside the range (rows this scenario did not expect for the client).</summary>
    public long Unexpected { get; private set; }

    /// <summary>Payload bytes of the row messages received (repeats included): what the server encoded for this client.</summary>
    public long Bytes { get; private set; }

    /// <summary>Receive time (µs, <see cref="Clock"/>) of the first row at or above <see cref="MarkFromId"/>; 0 until then.</summary>
    public long FirstMarkedMicros { get; private set; }

    /// <summary>Only rows from this id on start <see cref="FirstMarkedMicros"/> (e.g. the missed rows, not the warm-up).</summary>
    public long MarkFromId { get; set; } = long.MinValue;

    /// <summary>Id whose arrival completes a phase (e.g. the last missed row), and when every id up to it had arrived.</summary>
    public long PhaseThroughId { get; set; } = long.MaxValue;

    public long PhaseDoneMicros => Volatile.Read(ref _phaseDoneMicros);

    /// <summary>When the whole range had arrived (µs), 0 until then.</summary>
    public long DoneMicros => Volatile.Read(ref _doneMicros);

    private long _phaseDoneMicros;
    private long _doneMicros;

    public void Record(long id, int bytes, long now)
    {
        Bytes += bytes;
        if (id < FirstId || id > LastId)
        {
            Unexpected++;
            return;
        }

        int bit = (int)(id - FirstId);
        if (_seen[bit])
        {
            Duplicates++;
            return;
        }

        _seen[bit] = true;
        if (id < _maxSeen)
        {
            OutOfOrder++;
        }

        _maxSeen = Math.Max(_maxSeen, id);
        if (id >= MarkFromId && FirstMarkedMicros == 0)
        {
            FirstMarkedMicros = now;
        }

        long received = _received + 1;
        Volatile.Write(ref _received, received);
        if (_phaseDoneMicros == 0 && PhaseThroughId != long.MaxValue && received >= PhaseThroughId - FirstId + 1 && AllThrough(PhaseThroughId))
        {
            Volatile.Write(ref _phaseDoneMicros, now);
        }

        if (received == LastId - FirstId + 1)
        {
            Volatile.Write(ref _doneMicros, now);
        }
    }

    /// <summary>Ids up to <paramref name="id"/> that have arrived.</summary>
    public long ReceivedThrough(long id)
    {
        long count = 0;
        for (long i = FirstId; i <= Math.Min(id, LastId); i++)
        {
            count += _seen[(int)(i - FirstId)] ? 1 : 0;
        }

        return count;
    }

    private bool AllThrough(long id) => ReceivedThrough(id) == id - FirstId + 1;
}
