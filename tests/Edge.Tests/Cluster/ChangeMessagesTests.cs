using MadBase.Edge.Cluster.Changes;

namespace MadBase.Edge.Tests.Cluster;

/// <summary>The change stream's message layout: a transaction out and back, chunking, and every malformed input refused.</summary>
[Trait("Kind", "InProcess")]
public sealed class ChangeMessagesTests
{
    private static readonly ChangeColumn[] s_columns = [new("id", "int8", 20, true), new("label", "text", 25, false), new("note", "text", 25, false)];

    [Fact]
    public void Transaction_RoundTrip_EveryFieldKept()
    {
        var at = new DateTimeOffset(2026, 12, 6, 7, 0, 0, 123, TimeSpan.Zero);
        var transaction = Transaction(0x1_0000_2000, at, 3, dataBytes: 40);

        var chunk = Assert.Single(ChangeMessages.Encode(transaction).Select(m => ChangeMessages.Read(m)));

        Assert.Equal((0x1_0000_2000UL, at, 0, true, 3), (chunk.EndLsn, chunk.CommitTimestamp, chunk.Index, chunk.Final, chunk.Changes.Length));
        for (var i = 0; i < 3; i++)
        {
            var (sent, read) = (transaction.Changes[i], chunk.Changes[i]);
            Assert.Equal((sent.Schema, sent.Table, sent.Kind, sent.CommitEndLsn, sent.CommitTimestamp), (read.Schema, read.Table, read.Kind, read.CommitEndLsn, read.CommitTimestamp));
            Assert.Equal(sent.Columns, read.Columns);
            Assert.Equal(sent.Record, read.Record);
            Assert.Equal(sent.OldRecord, read.OldRecord);
            Assert.Equal(sent.DataJson.ToArray(), read.DataJson.ToArray());
        }

        Assert.Same(chunk.Changes[0].Columns, chunk.Changes[2].Columns); // one column set per chunk, shared
    }

    [Fact]
    public void LargeTransaction_CutIntoChunks_InOrderWithOnlyTheLastFinal()
    {
        var transaction = Transaction(500, DateTimeOffset.UnixEpoch, 2000, dataBytes: 1000);

        var chunks = ChangeMessages.Encode(transaction).Select(m => ChangeMessages.Read(m)).ToList();

        Assert.True(chunks.Count > 1);
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.Equal([.. Enumerable.Repeat(false, chunks.Count - 1), true], chunks.Select(c => c.Final));
        Assert.Equal(2000, chunks.Sum(c => c.Changes.Length));
        Assert.All(ChangeMessages.Encode(transaction), m => Assert.InRange(m.Length, 1, ChangeMessages.ChunkBytes + 4096));
        Assert.Equal(transaction.Changes.Select(c => Encoding.UTF8.GetString(c.DataJson.Span)), chunks.SelectMany(c => c.Changes).Select(c => Encoding.UTF8.GetString(c.DataJson.Span)));
    }

    [Fact]
    public void Message_EveryProperPrefix_InvalidData()
    {
        var message = ChangeMessages.Encode(Transaction(7, DateTimeOffset.UnixEpoch, 2, dataBytes: 10))[0];
        for (var length = 0; length < message.Length; length++)
        {
            var prefix = message[..length];
            Assert.Throws<InvalidDataException>(() => ChangeMessages.Read(prefix));
        }

        Assert.Throws<InvalidDataException>(() => ChangeMessages.Read((byte[])[.. message, 0])); // trailing bytes
    }

    [Fact]
    public void ChangeLargerThanTheMessageLimit_CutIntoPieces_EachWithinTheLimit_AssembledWhole()
    {
        // One huge row (a 1.5 MiB value against NATS's 1 MiB max_payload) between two small ones.
        var transaction = Transaction(42, DateTimeOffset.UnixEpoch, 3, dataBytes: 10);
        var changes = transaction.Changes.ToArray();
        changes[1] = Transaction(42, DateTimeOffset.UnixEpoch, 2, dataBytes: 1_500_000).Changes[1];
        transaction = new ChangeTransaction(42, DateTimeOffset.UnixEpoch, changes);
        const int Limit = 1024 * 1024 - 4096;

        var messages = ChangeMessages.Encode(transaction, Limit);

        Assert.True(messages.Count >= 2);
        Assert.All(messages, m => Assert.InRange(m.Length, ChangeMessages.HeaderBytes + 1, Limit));
        Assert.Throws<InvalidDataException>(() => ChangeMessages.Read(messages[0])); // a piece is not a whole chunk
        var assembler = new ChangeAssembler();
        var whole = messages.Select(m => assembler.Add(m)).ToList();
        Assert.All(whole.SkipLast(1), Assert.Null);
        var read = Assert.IsType<ChangeTransaction>(whole[^1]);
        Assert.Equal(transaction.Changes.Select(c => c.DataJson.ToArray()), read.Changes.Select(c => c.DataJson.ToArray()));
        Assert.Equal(transaction.Changes.Select(c => c.Record), read.Changes.Select(c => c.Record));
    }

    [Fact]
    public void Assembler_MessagesOutOfSequenceOrRepeated_DroppedNeverHalfHandedOut()
    {
        var first = ChangeMessages.Encode(Transaction(10, DateTimeOffset.UnixEpoch, 600, dataBytes: 1000), maxMessageBytes: 100_000);
        var second = ChangeMessages.Encode(Transaction(20, DateTimeOffset.UnixEpoch, 2, dataBytes: 10));
        var assembler = new ChangeAssembler();

        // The first transaction's leader died after two messages; the second starts: the half one is dropped.
        Assert.Null(assembler.Add(first[0]));
        Assert.Null(assembler.Add(first[1]));
        Assert.Equal(20UL, assembler.Add(second[0])?.EndLsn);

        // The rest of a transaction whose start was never read is dropped, and a re-sent one is handed out once.
        Assert.All(first.Skip(2), m => Assert.Null(assembler.Add(m)));
        Assert.Null(assembler.Add(second[0]));
        Assert.Equal(20UL, assembler.FedThrough);

        // Whole but at or below what was already handed out: a re-send, not handed out again.
        Assert.All(first, m => Assert.Null(assembler.Add(m)));
    }

    [Fact]
    public void Header_AloneRead_LsnAndFinal()
    {
        var messages = ChangeMessages.Encode(Transaction(99, DateTimeOffset.UnixEpoch, 600, dataBytes: 1000));

        Assert.Equal((99UL, false), ChangeMessages.ReadHeader(messages[0]));
        Assert.Equal((99UL, true), ChangeMessages.ReadHeader(messages[^1]));
    }

    private static ChangeTransaction Transaction(ulong endLsn, DateTimeOffset at, int count, int dataBytes)
    {
        var changes = new ChangeEvent[count];
        for (var i = 0; i < count; i++)
        {
            var kind = (ChangeKind)(i % 3);
            changes[i] = new ChangeEvent
            {
                Source = new ChangeSource("public", "items", s_columns, at, endLsn, PayloadError: null, Encoder: null),
                Kind = kind,
                Record = kind == ChangeKind.Delete ? [] : [ChangeValue.FromText(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), ChangeValue.FromText("é ✓ " + i), ChangeValue.Null],
                OldRecord = kind == ChangeKind.Insert ? [] : [ChangeValue.FromText("1"), ChangeValue.Absent, ChangeValue.UnchangedToast],
                DataJson = Encoding.UTF8.GetBytes($"{{\"n\":{i},\"pad\":\"{new string('x', dataBytes)}\"}}"),
            };
        }

        return new ChangeTransaction(endLsn, at, changes);
    }
}
