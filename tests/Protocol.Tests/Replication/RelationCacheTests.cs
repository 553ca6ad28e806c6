using MadBase.Protocol.Replication;

namespace MadBase.Protocol.Tests.Replication;

public sealed class RelationCacheTests
{
    private static RelationInfo Relation(uint id, int columns) =>
        new(id, "public", $"t{id}", ReplicaIdentity.Default, [.. Enumerable.Range(0, columns).Select(i => new RelationColumn(0, $"c{i}", 23, -1))]);

    [Fact]
    public void Set_SameIdTwice_ReplacesEntry()
    {
        var cache = new RelationCache();
        cache.Set(Relation(1, 2));
        cache.Set(Relation(1, 3));

        Assert.True(cache.TryGet(1, out var relation));
        Assert.Equal(3, relation.Columns.Length);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void TryGet_StreamXid_PrefersOverlayThenFallsBack()
    {
        var cache = new RelationCache();
        cache.Set(Relation(1, 2));
        cache.Set(Relation(1, 5), streamXid: 9);
        cache.Set(Relation(2, 1), streamXid: 9);

        Assert.True(cache.TryGet(1, 9, out var streamed));
        Assert.Equal(5, streamed.Columns.Length);
        Assert.True(cache.TryGet(1, 0, out var shared));
        Assert.Equal(2, shared.Columns.Length);
        Assert.True(cache.TryGet(1, 10, out var otherStream));
        Assert.Equal(2, otherStream.Columns.Length);
        Assert.False(cache.TryGet(2, 0, out _));
    }

    [Fact]
    public void PromoteStream_PendingOverlay_MovesIntoSharedMap()
    {
        var cache = new RelationCache();
        cache.Set(Relation(2, 1), streamXid: 9);

        cache.PromoteStream(9);

        Assert.True(cache.TryGet(2, out _));
        Assert.Equal(0, cache.PendingStreamCount);
    }

    [Fact]
    public void DiscardStream_PendingOverlay_IsForgotten()
    {
        var cache = new RelationCache();
        cache.Set(Relation(2, 1), streamXid: 9);

        cache.DiscardStream(9);
        cache.PromoteStream(9);

        Assert.False(cache.TryGet(2, out _));
    }

    [Fact]
    public void Clear_WithEntries_RemovesRelationsTypesAndOverlays()
    {
        var cache = new RelationCache();
        cache.Set(Relation(1, 1));
        cache.Set(Relation(2, 1), 9);
        cache.SetType(new PgTypeInfo(16398, "public", "mood"));

        cache.Clear();

        Assert.Equal((0, 0), (cache.Count, cache.PendingStreamCount));
        Assert.False(cache.TryGetType(16398, out _));
    }
}
