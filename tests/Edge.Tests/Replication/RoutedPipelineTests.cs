using MadBase.Edge.Realtime.Routing;
using MadBase.Edge.Tests.Realtime;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.Tests.Replication;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The whole change road in process, from the captured pgoutput bytes to a socket's frames, through the real
/// <see cref="ChangeRouter"/> and delivery log: a service_role subscriber needs no RLS probe and no column privileges,
/// so nothing asks the database. The slot's confirmable position is sampled while the router runs: it never covers a
/// transaction whose frames are not in the log yet.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class RoutedPipelineTests
{
    [Fact]
    public async Task V1Text_RealRouter_FramesInCommitOrder_SlotConfirmedOnlyBehindThem()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var pipeline = new ChangePipeline(1);
        await using var realtime = new InProcessHub();
        var router = realtime.Router(pipeline.Feed, pipeline.Catalog);

        // One subscriber of every vec_t row with id 2: the key-changing UPDATE, the plain UPDATE, the DELETE (old row).
        var channel = realtime.Join("realtime:t", PhoenixVersion.V2, """{"event":"*","schema":"public","table":"vec_t","filter":"id=eq.2"}""");
        var binding = channel.Bindings[0];

        // Everything received and accepted before the router runs: nothing may be confirmed.
        var messages = PgOutputVectors.Load("v1-text.hex");
        foreach (var message in messages)
        {
            await pipeline.ReceiveAsync(message);
        }

        const ulong Keepalive = 0x1_0000_0000;
        Assert.Equal(0UL, pipeline.Acks.Confirmable(Keepalive));

        var ends = messages.Where(m => m.Kind == 'C').Select(ChangePipeline.CapturedLsn).ToArray();
        int FramesDueThrough(ulong confirmed) => new[] { 1, 2, 3 }.Count(i => ends[i] <= confirmed); // transactions 1–3 match
        var frames = new List<string>();
        await router.StartAsync(ct);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            // Sampled before reading: whatever it covers must already be readable.
            var confirmed = pipeline.Acks.Confirmable(0);
            frames.AddRange(Payloads(channel));
            Assert.True(frames.Count >= FramesDueThrough(confirmed), $"confirmed {confirmed:X} with {frames.Count} frames read");
            if (confirmed == ends[^1])
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"router did not finish: confirmed {confirmed:X}");
            await Task.Delay(1, ct);
        }

        await router.StopAsync(ct);
        frames.AddRange(Payloads(channel));
        Assert.Equal(Keepalive, pipeline.Acks.Confirmable(Keepalive)); // all routed, nothing open: idle again
        Assert.Equal(
        [
            $$$"""[null,null,"realtime:t","postgres_changes",{"ids":[{{{binding.Id}}}],"data":{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.860Z","type":"UPDATE","columns":[{"name":"id","type":"int4"},{"name":"s","type":"text"},{"name":"n","type":"numeric"}],"record":{"id":2,"s":"x","n":null},"old_record":{"id":1},"errors":null}}]""",
            $$$"""[null,null,"realtime:t","postgres_changes",{"ids":[{{{binding.Id}}}],"data":{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.865Z","type":"UPDATE","columns":[{"name":"id","type":"int4"},{"name":"s","type":"text"},{"name":"n","type":"numeric"}],"record":{"id":2,"s":"y","n":null},"old_record":{"id":2},"errors":null}}]""",
            $$$"""[null,null,"realtime:t","postgres_changes",{"ids":[{{{binding.Id}}}],"data":{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.869Z","type":"DELETE","columns":[{"name":"id","type":"int4"},{"name":"s","type":"text"},{"name":"n","type":"numeric"}],"old_record":{"id":2},"errors":null}}]""",
        ], frames);
        Assert.Equal(0, pipeline.Feed.BytesInFlight);
    }

    /// <summary>What the socket's writer would send now: each WebSocket text frame's payload.</summary>
    private static IEnumerable<string> Payloads(RealtimeChannel channel) => InProcessHub.Take(channel).Select(frame =>
    {
        var header = (frame[1] & 0x7F) switch { 126 => 4, 127 => 10, _ => 2 }; // server frames are unmasked
        return Encoding.UTF8.GetString(frame.AsSpan(header));
    });
}
