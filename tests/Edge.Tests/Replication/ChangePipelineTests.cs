using MadBase.Edge.Auth;
using MadBase.Edge.Realtime.Authorization;
using MadBase.Edge.Realtime.PostgresChanges;
using MadBase.Edge.WebSockets;
using MadBase.Protocol.Phoenix;
using MadBase.Protocol.Tests.Replication;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The stages from the captured pgoutput bytes (scripts/capture-pgoutput.sh) to what the router matches, in process:
/// decoding, transaction assembly, encoding (the exact <c>data</c> JSON every subscriber gets) and the bindings' filters
/// and subscription lookup. The acknowledgement of the same streams is in <see cref="SlotAcknowledgerTests"/>.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class ChangePipelineTests : IOutboundOverflowHandler
{
    private const string VecTColumns = """[{"name":"id","type":"int4"},{"name":"s","type":"text"},{"name":"n","type":"numeric"}]""";
    private const string VecTColumnsAfterDdl = """[{"name":"id","type":"int4"},{"name":"s","type":"text"},{"name":"n","type":"numeric"},{"name":"extra","type":"int4"}]""";
    private const string VecFullColumns = """[{"name":"id","type":"int4"},{"name":"big","type":"text"},{"name":"m","type":"mood"},{"name":"p","type":"posint"},{"name":"b","type":"bytea"},{"name":"ts","type":"timestamptz"},{"name":"vc","type":"varchar"}]""";
    private const string VecStreamColumns = """[{"name":"id","type":"int4"},{"name":"payload","type":"text"}]""";

    // vec_full.big: repeat('x', 5000), stored out of line; the UPDATE sends 'u' for it and the FULL old tuple fills it.
    private static readonly string s_big = new('x', 5000);

    /// <summary>
    /// The workload of v1-text, one transaction per statement, as Supabase's <c>data</c> object. The writer escapes
    /// non-ASCII and '+' (<c>\u00E9</c>, <c>\u002B</c>): the same JSON values as <c>to_jsonb</c>'s text.
    /// </summary>
    private static readonly string[] s_v1Expected =
    [
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.859Z","type":"INSERT","columns":{{VecTColumns}},"record":{"id":1,"s":"\u00E9","n":null},"errors":null}""",
        // Key changed: the old key arrives in a 'K' tuple.
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.860Z","type":"UPDATE","columns":{{VecTColumns}},"record":{"id":2,"s":"x","n":null},"old_record":{"id":1},"errors":null}""",
        // Key unchanged, DEFAULT identity: no old tuple was logged; old_record is synthesised from the key.
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.865Z","type":"UPDATE","columns":{{VecTColumns}},"record":{"id":2,"s":"y","n":null},"old_record":{"id":2},"errors":null}""",
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.869Z","type":"DELETE","columns":{{VecTColumns}},"old_record":{"id":2},"errors":null}""",
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.872Z","type":"INSERT","columns":{{VecTColumns}},"record":{"id":3,"s":"a","n":1.5},"errors":null}""",
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.885Z","type":"TRUNCATE","columns":{{VecTColumns}},"errors":null}""",
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.908Z","type":"TRUNCATE","columns":{{VecTColumns}},"errors":null}""",
        // The transactional logical message beside it is not forwarded (messages are never asked for).
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.921Z","type":"INSERT","columns":{{VecTColumns}},"record":{"id":4,"s":"m","n":0},"errors":null}""",
        // Enum as its label, domain over int4 as a number, bytea in hex, timestamptz as to_jsonb prints it.
        $$"""{"schema":"public","table":"vec_full","commit_timestamp":"2026-11-24T06:09:58.928Z","type":"INSERT","columns":{{VecFullColumns}},"record":{"id":1,"big":"{{s_big}}","m":"happy","p":7,"b":"\\x00ff10","ts":"2024-02-29T08:15:01.5\u002B00:00","vc":"v"},"errors":null}""",
        // REPLICA IDENTITY FULL: the unchanged TOAST value is filled from the old tuple, never nulled.
        $$"""{"schema":"public","table":"vec_full","commit_timestamp":"2026-11-24T06:09:58.933Z","type":"UPDATE","columns":{{VecFullColumns}},"record":{"id":1,"big":"{{s_big}}","m":"happy","p":7,"b":"\\x00ff10","ts":"2024-02-29T08:15:01.5\u002B00:00","vc":"changed"},"old_record":{"id":1,"big":"{{s_big}}","m":"happy","p":7,"b":"\\x00ff10","ts":"2024-02-29T08:15:01.5\u002B00:00","vc":"v"},"errors":null}""",
        $$"""{"schema":"public","table":"vec_full","commit_timestamp":"2026-11-24T06:09:58.937Z","type":"DELETE","columns":{{VecFullColumns}},"old_record":{"id":1,"big":"{{s_big}}","m":"happy","p":7,"b":"\\x00ff10","ts":"2024-02-29T08:15:01.5\u002B00:00","vc":"changed"},"errors":null}""",
        // After ALTER TABLE ADD COLUMN: a fresh Relation message, and the new column appears.
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:58.949Z","type":"INSERT","columns":{{VecTColumnsAfterDdl}},"record":{"id":6,"s":"after-ddl","n":1,"extra":42},"errors":null}""",
        // Replicated from an origin: still this database's change, with the origin's commit time.
        $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2024-01-01T00:00:00.000Z","type":"INSERT","columns":{{VecTColumnsAfterDdl}},"record":{"id":5,"s":"o","n":2,"extra":null},"errors":null}""",
    ];

    [Fact]
    public async Task V1Text_EveryStatement_OneTransactionInCommitOrder_EncodedExactly()
    {
        var messages = PgOutputVectors.Load("v1-text.hex");
        var transactions = await ReceiveAllAsync("v1-text.hex", 1);

        // One per Commit, with the Commit's end_lsn as the SQL interface reported it (independent of our decoder).
        Assert.Equal(messages.Where(m => m.Kind == 'C').Select(ChangePipeline.CapturedLsn), transactions.Select(t => t.EndLsn));
        Assert.All(transactions, t => Assert.Single(t.Changes));
        Assert.Equal(s_v1Expected, transactions.Select(t => ChangePipeline.Json(t.Changes[0])));
        Assert.All(transactions, t => Assert.Equal(t.EndLsn, t.Changes[0].CommitEndLsn));
        Assert.Equal(
            ["INSERT", "UPDATE", "UPDATE", "DELETE", "INSERT", "TRUNCATE", "TRUNCATE", "INSERT", "INSERT", "UPDATE", "DELETE", "INSERT", "INSERT"],
            transactions.Select(t => t.Changes[0].Kind.ToString().ToUpperInvariant()));
    }

    [Fact]
    public async Task V2Stream_StreamedCommit_KeepsItsRowsInOrder_DropsRolledBackSavepointAndAbortedStream()
    {
        var messages = PgOutputVectors.Load("v2-stream.hex");
        var transactions = await ReceiveAllAsync("v2-stream.hex", 2);

        // Streamed xid 749 (four blocks, a rolled-back savepoint inside), streamed xid 752 aborted, then a plain one.
        Assert.Equal(messages.Where(m => m.Kind is 'C' or 'c').Select(ChangePipeline.CapturedLsn), transactions.Select(t => t.EndLsn));
        Assert.Equal(2, transactions.Count);

        var streamed = transactions[0];
        int[] expectedIds = [.. Enumerable.Range(1, 700), .. Enumerable.Range(200001, 400)];
        Assert.Equal(expectedIds, streamed.Changes.Select(c => int.Parse(c.Record[0].Text!, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(
            $$"""{"schema":"public","table":"vec_stream","commit_timestamp":"2026-11-24T06:09:59.305Z","type":"INSERT","columns":{{VecStreamColumns}},"record":{"id":1,"payload":"{{new string('s', 40)}}"},"errors":null}""",
            ChangePipeline.Json(streamed.Changes[0]));
        Assert.Equal(
            $$"""{"schema":"public","table":"vec_stream","commit_timestamp":"2026-11-24T06:09:59.305Z","type":"INSERT","columns":{{VecStreamColumns}},"record":{"id":200400,"payload":"z"},"errors":null}""",
            ChangePipeline.Json(streamed.Changes[^1]));

        Assert.Equal(
            $$"""{"schema":"public","table":"vec_t","commit_timestamp":"2026-11-24T06:09:59.314Z","type":"INSERT","columns":{{VecTColumnsAfterDdl}},"record":{"id":7,"s":"plain","n":1,"extra":1},"errors":null}""",
            ChangePipeline.Json(Assert.Single(transactions[1].Changes)));
    }

    [Fact]
    public async Task V3TwoPhase_NeverRequested_RefusedAtTheFirstPrepareMessage_NothingHandedOn()
    {
        await using var pipeline = new ChangePipeline(3);
        var first = PgOutputVectors.Load("v3-twophase.hex")[0];
        Assert.Equal('b', first.Kind);

        // The read loop's session ends on it (and reconnects); nothing of the prepared transaction leaves.
        await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ReceiveAsync(first));
        Assert.True(await pipeline.FeedStaysEmptyAsync());
    }

    public static TheoryData<string, int[]> Bindings => new()
    {
        // Transactions of v1-text by index (s_v1Expected): which ones a binding receives.
        { """{"event":"*","schema":"public","table":"vec_t"}""", [0, 1, 2, 3, 4, 7, 11, 12] }, // TRUNCATE never
        { """{"event":"UPDATE","schema":"public","table":"vec_t"}""", [1, 2] },
        { """{"event":"*","schema":"public","table":"vec_t","filter":"id=eq.3"}""", [4] },
        { """{"event":"*","schema":"public","table":"vec_t","filter":"id=eq.2"}""", [1, 2, 3] },   // new row, new row, old row (DELETE)
        { """{"event":"*","schema":"public","table":"vec_t","filter":"s=in.(é,o)"}""", [0, 12] },
        { """{"event":"*","schema":"public","table":"vec_t","filter":"n=gt.1"}""", [4, 12] },       // numeric compared as numbers
        { """{"event":"*","schema":"public","table":"vec_full","filter":"p=gte.7"}""", [8, 9, 10] },
        { """{"event":"DELETE","schema":"public","table":"vec_full","filter":"vc=eq.changed"}""", [10] }, // judged on old_record
        { """{"event":"INSERT","schema":"public"}""", [0, 4, 7, 8, 11, 12] },                       // every table of the schema
        { """{"event":"*","schema":"public","table":"vec_stream"}""", [] },
        { """{"event":"*","schema":"other"}""", [] },
    };

    [Theory]
    [MemberData(nameof(Bindings))]
    public async Task V1Text_Binding_FindsAndMatchesExactlyItsChanges(string element, int[] expected)
    {
        var binding = PostgresBinding.Parse(System.Text.Encoding.UTF8.GetBytes(element), out _, out var error);
        Assert.True(binding is not null, error);
        var index = new SubscriptionIndex<RealtimeChannel>();
        var channel = Channel(binding);
        index.Add(channel, [binding]);

        var transactions = await ReceiveAllAsync("v1-text.hex", 1);
        var matched = new List<int>();
        var candidates = new List<Subscription<RealtimeChannel>>();
        for (var i = 0; i < transactions.Count; i++)
        {
            // As the router does: the index narrows by (schema, table) and wildcards, the binding decides.
            var change = transactions[i].Changes[0];
            candidates.Clear();
            index.Lookup(change.Schema, change.Table, candidates);
            if (candidates.Any(c => ReferenceEquals(c.Channel, channel) && c.Binding.Matches(change)))
            {
                matched.Add(i);
            }
        }

        Assert.Equal(expected, matched);
    }

    void IOutboundOverflowHandler.OnOverflow(OutboundQueue queue)
    {
    }

    /// <summary>Every transaction of <paramref name="file"/>, each marked dispatched once read (the router's part).</summary>
    private static async Task<List<ChangeTransaction>> ReceiveAllAsync(string file, int protocolVersion)
    {
        await using var pipeline = new ChangePipeline(protocolVersion);
        var transactions = new List<ChangeTransaction>();
        foreach (var message in PgOutputVectors.Load(file))
        {
            await pipeline.ReceiveAsync(message);
            if (message.Kind is 'C' or 'c')
            {
                var transaction = await pipeline.NextAsync();
                pipeline.Feed.MarkDispatched(transaction);
                transactions.Add(transaction);
            }
        }

        Assert.True(await pipeline.FeedStaysEmptyAsync()); // a stream abort or a logical message hands nothing on
        return transactions;
    }

    private RealtimeChannel Channel(PostgresBinding binding)
    {
        var queue = new OutboundQueue(64, TimeSpan.FromSeconds(1), TimeProvider.System, new MadBase.Edge.Diagnostics.Counter(), this);
        Assert.True(JoinConfig.TryParse("{}"u8, out var config));
        var channel = new RealtimeChannel("realtime:t", "1", PhoenixVersion.V2, queue, config, new JwtClaims("service_role", null, null, null, "{}"), null, ChannelPolicies.All);
        channel.Bindings = [binding];
        return channel;
    }
}
