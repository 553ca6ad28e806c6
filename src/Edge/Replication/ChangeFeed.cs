using System.Threading.Channels;

namespace MadBase.Edge.Replication;

/// <summary>
/// The hand-off between the replication stream (single writer) and the realtime router (single reader): a bounded
/// channel of committed transactions. When the router falls behind, the stream waits here — it never drops a
/// transaction — and PostgreSQL keeps the unacknowledged WAL until the router catches up.
/// </summary>
internal sealed class ChangeFeed
{
    /// <summary>Transactions, not rows: one 50,000-row transaction is one item.</summary>
    public const int Capacity = 1024;

    private readonly Channel<ChangeTransaction> _channel = Channel.CreateBounded<ChangeTransaction>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    public ChannelReader<ChangeTransaction> Reader => _channel.Reader;

    public ChannelWriter<ChangeTransaction> Writer => _channel.Writer;
}
