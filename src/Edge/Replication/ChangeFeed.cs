using System.Threading.Channels;

namespace MadBase.Edge.Replication;

/// <summary>
/// The hand-off between the transaction's writer (the replication stream's <see cref="TransactionHandOff"/>; in
/// cluster mode the change stream's reader) and the realtime router (single reader): a channel of committed
/// transactions bounded both in count and in <c>data</c> JSON bytes not yet dispatched (<see cref="ChangeTransaction.DataBytes"/>). When the router falls behind, the
/// writer waits here — it never drops a transaction — and PostgreSQL keeps the unacknowledged WAL until the router
/// catches up. One oversized transaction is always admitted when nothing else is in flight.
/// </summary>
internal sealed class ChangeFeed(SlotAcknowledger acks)
{
    /// <summary>Transactions, not rows: one 50,000-row transaction is one item.</summary>
    public const int Capacity = 1024;

    /// <summary>JSON bytes awaiting dispatch (<see cref="ChangeTransaction.DataBytes"/>); bounds memory whatever the transaction sizes.</summary>
    public const long MaxBytesInFlight = 32L * 1024 * 1024;

    private readonly Channel<ChangeTransaction> _channel = Channel.CreateBounded<ChangeTransaction>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly SemaphoreSlim _budgetFreed = new(0);
    private long _bytesInFlight;

    public ChannelReader<ChangeTransaction> Reader => _channel.Reader;

    public long BytesInFlight => Interlocked.Read(ref _bytesInFlight);

    /// <summary>Waits for byte budget and channel space, then queues the transaction.</summary>
    public async ValueTask WriteAsync(ChangeTransaction transaction, CancellationToken cancellationToken)
    {
        var size = transaction.DataBytes;
        while (Interlocked.Read(ref _bytesInFlight) > 0 && Interlocked.Read(ref _bytesInFlight) + size > MaxBytesInFlight)
        {
            await _budgetFreed.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        Interlocked.Add(ref _bytesInFlight, size);
        await _channel.Writer.WriteAsync(transaction, cancellationToken);
    }

    /// <summary>
    /// The router calls this once per transaction it read, in order, after appending every change to the delivery log:
    /// its bytes leave the budget, and the <see cref="SlotAcknowledger"/> learns it was routed.
    /// </summary>
    public void MarkDispatched(ChangeTransaction transaction)
    {
        Interlocked.Add(ref _bytesInFlight, -transaction.DataBytes);
        _budgetFreed.Release();
        acks.Routed(transaction.EndLsn);
    }
}
