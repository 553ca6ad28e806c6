using System.Collections.Immutable;
using MadBase.Protocol.Replication;

namespace MadBase.Edge.Tests.Replication;

/// <summary>
/// The packed per-tuple values a change is held as while it waits to be routed, and the change's JSON written on first
/// use and given back: the same bytes every time, and the estimate the memory budgets count close to them.
/// </summary>
[Trait("Kind", "InProcess")]
public sealed class RowValuesTests
{
    [Fact]
    public void From_EveryKind_ReadsBackTheSameValues()
    {
        ChangeValue[] values =
        [
            ChangeValue.FromText("42"), ChangeValue.Null, ChangeValue.Absent, ChangeValue.UnchangedToast,
            ChangeValue.FromText(""), ChangeValue.FromText("é ✓ \u2028 \"quoted\""), ChangeValue.FromText(new string('x', 70_000)),
        ];

        var packed = RowValues.From(values);

        Assert.Equal(values.Length, packed.Count);
        Assert.Equal(values, packed.ToArray());
        Assert.Equal(ChangeValueKind.Absent, packed.KindAt(2));
        Assert.Equal("é ✓ \u2028 \"quoted\""u8.ToArray(), packed.Utf8At(5).ToArray());
        Assert.True(packed.Utf8At(1).IsEmpty);
        Assert.Same(packed, RowValues.From(packed));
        Assert.Same(RowValues.Empty, RowValues.From([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => packed[values.Length]);
    }

    [Fact]
    public void DataJson_GivenBackAndWrittenAgain_IsTheSameBytes_AndTheEstimateIsClose()
    {
        var (encoder, relation) = Ticks();
        var change = encoder.Encode(
            new PendingChange(relation, ChangeKind.Insert, RowValues.From([ChangeValue.FromText("7"), ChangeValue.FromText("1733500000000"), ChangeValue.FromText(new string('p', 64))]), RowValues.Empty, 0),
            new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero), endLsn: 99);

        var estimate = change.DataBytes;
        var first = change.DataJson.ToArray();
        Assert.Equal(first.Length, change.DataBytes); // exact once encoded
        Assert.InRange(estimate, first.Length * 0.8, first.Length * 1.2);

        change.ReleaseDataJson();
        Assert.Equal(estimate, change.DataBytes);
        Assert.Equal(first, change.DataJson.ToArray());
        Assert.Contains("\"record\":{\"id\":7,\"ts\":1733500000000,\"pad\":\"pppp", Encoding.UTF8.GetString(first), StringComparison.Ordinal);
    }

    private static (ChangeEncoder Encoder, RelationInfo Relation) Ticks()
    {
        var catalog = new ReplicationCatalog(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1"));
        catalog.SetPrimaryKey(1, ["id"]);
        catalog.AddType(20, "int8", "int8", 'N', 0, ',');
        catalog.AddType(25, "text", "text", 'S', 0, ',');
        var relation = new RelationInfo(1, "public", "ticks", ReplicaIdentity.Default,
            ImmutableArray.Create(new RelationColumn(1, "id", 20, -1), new RelationColumn(0, "ts", 20, -1), new RelationColumn(0, "pad", 25, -1)));
        return (new ChangeEncoder(catalog), relation);
    }
}
