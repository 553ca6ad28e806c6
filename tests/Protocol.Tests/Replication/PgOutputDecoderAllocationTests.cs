using MadBase.Protocol.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>Steady-state Insert/Update/Delete decoding must not allocate (the benchmark measures the same).</summary>
public sealed class PgOutputDecoderAllocationTests
{
    /// <summary>Touches every value like a real consumer, without allocating.</summary>
    private struct SummingHandler : IPgOutputHandler
    {
        public long Bytes;
        public int Rows;

        public void OnInsert(in InsertMessage message) => Sum(message.NewTuple);

        public void OnUpdate(in UpdateMessage message)
        {
            Sum(message.OldTuple);
            Sum(message.NewTuple);
        }

        public void OnDelete(in DeleteMessage message) => Sum(message.OldTuple);

        public void OnBegin(in BeginMessage message) => Bytes += message.Xid;

        public void OnCommit(in CommitMessage message) => Bytes += (long)message.EndLsn;

        public readonly void OnOrigin(in OriginMessage message)
        {
        }

        public readonly void OnRelation(in RelationMessage message)
        {
        }

        public readonly void OnType(in TypeMessage message)
        {
        }

        public readonly void OnTruncate(in TruncateMessage message)
        {
        }

        public readonly void OnMessage(in LogicalDecodingMessage message)
        {
        }

        public readonly void OnStreamStart(in StreamStartMessage message)
        {
        }

        public readonly void OnStreamStop()
        {
        }

        public readonly void OnStreamCommit(in StreamCommitMessage message)
        {
        }

        public readonly void OnStreamAbort(in StreamAbortMessage message)
        {
        }

        public readonly void OnBeginPrepare(in BeginPrepareMessage message)
        {
        }

        public readonly void OnPrepare(in PrepareMessage message)
        {
        }

        public readonly void OnCommitPrepared(in CommitPreparedMessage message)
        {
        }

        public readonly void OnRollbackPrepared(in RollbackPreparedMessage message)
        {
        }

        public readonly void OnStreamPrepare(in PrepareMessage message)
        {
        }

        private void Sum(TupleData tuple)
        {
            Rows++;
            foreach (var value in tuple)
            {
                Bytes += value.Bytes.Length + (int)value.Kind;
            }
        }
    }

    [Fact]
    public void Decode_CapturedInsertUpdateStream_AllocatesNothingInSteadyState()
    {
        var messages = PgOutputVectors.Load("bench-v1.hex").Select(m => m.Bytes).ToArray();
        var decoder = NewDecoder();
        var handler = new SummingHandler();
        foreach (var message in messages)
        {
            decoder.Decode(message, ref handler); // warm-up: caches the Relation, JITs the paths
        }

        var changes = messages.Where(m => m[0] != (byte)'R').ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var round = 0; round < 5; round++)
        {
            foreach (var message in changes)
            {
                decoder.Decode(message, ref handler);
            }
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(handler.Rows > 2000);
    }
}
