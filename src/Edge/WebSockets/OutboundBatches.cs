using System.Buffers;

namespace MadBase.Edge.WebSockets;

/// <summary>
/// Batch arrays larger than a socket keeps for itself come from, and go back to, one shared pool. A socket reading a
/// backlog takes 64 KiB of frames per batch (about 170 frames of a typical change); growing its array 16 → 256 and
/// dropping it after every send allocated 4 KiB per batch, the largest allocation of a burst to 1,000 subscribers
/// (docs/realtime-server.md §Memory of large transactions), while keeping one per socket would pin it on idle sockets.
/// </summary>
internal static class OutboundBatches
{
    /// <summary>Makes room for one more frame after <paramref name="count"/>: a pooled array twice as long, the old one given back.</summary>
    public static void Grow(ref OutboundFrame[] batch, int count)
    {
        var larger = ArrayPool<OutboundFrame>.Shared.Rent(Math.Max(16, batch.Length * 2));
        batch.AsSpan(0, count).CopyTo(larger);
        var old = batch;
        batch = larger;
        Recycle(old, count);
    }

    /// <summary>
    /// Gives a batch the writer is done with to the shared pool (cleared first, so it keeps no frame alive) when the
    /// pool takes arrays of its length; others are left to the GC.
    /// </summary>
    public static void Recycle(OutboundFrame[] batch, int count)
    {
        if (batch.Length >= 16 && (batch.Length & (batch.Length - 1)) == 0)
        {
            Array.Clear(batch, 0, count);
            ArrayPool<OutboundFrame>.Shared.Return(batch);
        }
    }
}
