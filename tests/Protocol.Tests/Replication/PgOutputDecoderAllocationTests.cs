using MadBase.Protocol.Benchmarks.Replication;
using static MadBase.Protocol.Tests.Replication.PgOutputTestSupport;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>Steady-state Insert/Update/Delete decoding must not allocate (the benchmark measures the same).</summary>
public sealed class PgOutputDecoderAllocationTests
{
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
