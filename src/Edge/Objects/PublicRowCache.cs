using System.Collections.Concurrent;

namespace MadBase.Edge.Objects;

/// <summary>
/// Answers of <see cref="ObjectsRepository.FindPublicAsync"/> (is the bucket public, and the object's row), held for a
/// short time so a hot public object — avatars, thumbnails: what edge storage serves most — costs no query per
/// download (docs/protocol/tus-and-storage.md §Download, "Public rows").
/// </summary>
/// <remarks>
/// Invariants, kept here and by the writers:
/// <list type="bullet">
/// <item>Every storage write committed through this node (objects written, deleted, moved; buckets created, updated,
/// emptied, deleted) calls <see cref="Invalidate"/> after its commit, so from then on no answer read before it is
/// served: an answer is stored under the generation taken <em>before</em> its query (<see cref="Generation"/>), and one
/// from an older generation is a miss. This node's own writes are therefore seen at once.</item>
/// <item>Writes through another node (same database) are seen within <see cref="Lifetime"/>. Until then a stale row
/// can only serve bytes that still exist: an overwrite, move or delete removes the old version's bytes, and a row
/// whose bytes are gone is read again (<see cref="StorageApi.DownloadRoutes"/>). What a stale answer can still do for up
/// to <see cref="Lifetime"/> is serve a bucket another node just made private, or old metadata.</item>
/// <item>At most <see cref="MaxEntries"/> answers: past that the whole cache is dropped (a scan of random names costs
/// queries, never memory).</item>
/// <item>Read ahead: from <see cref="RefreshAt"/> of its lifetime on, an answer is still served, and the first reader to
/// see it there is told to read it again in the background (once per answer), so a hot object's downloads do not
/// wait for a query every lifetime. The new answer goes through <see cref="Add"/> like any other, under the generation
/// taken before its query; the held one is never served past <see cref="Lifetime"/>.</item>
/// </list>
/// </remarks>
internal sealed class PublicRowCache(TimeSpan lifetime, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Bucket, string Name), Entry> _entries = new();
    private long _generation;

    /// <summary>How long an answer is served without asking the database again; zero holds nothing.</summary>
    public TimeSpan Lifetime => lifetime;

    /// <summary>Taken before the query whose answer is then <see cref="Add"/>ed.</summary>
    public long Generation => Volatile.Read(ref _generation);

    public int Count => _entries.Count;

    /// <summary>The share of <see cref="Lifetime"/> from which a held answer is read again in the background.</summary>
    public const double RefreshAt = 0.5;

    /// <param name="refresh">True for the one reader that should read this answer again now (see the remarks).</param>
    public bool TryGet(string bucket, string name, out (bool PublicBucket, ObjectRecord? Row) answer, out bool refresh)
    {
        refresh = false;
        if (_entries.TryGetValue((bucket, name), out var entry)
            && entry.Generation == Generation
            && time.GetElapsedTime(entry.ReadAt) is var age && age < lifetime)
        {
            answer = (entry.PublicBucket, entry.Row);
            refresh = age >= lifetime * RefreshAt && Interlocked.Exchange(ref entry.RefreshClaimed, 1) == 0;
            return true;
        }

        answer = default;
        return false;
    }

    public void Add(string bucket, string name, (bool PublicBucket, ObjectRecord? Row) answer, long generation)
    {
        if (lifetime <= TimeSpan.Zero || generation != Generation)
        {
            return; // a write committed while it was read: it may already be stale
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[(bucket, name)] = new Entry(answer.PublicBucket, answer.Row, generation, time.GetTimestamp());
    }

    /// <summary>A storage write committed through this node (see the remarks): every answer held is stale.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private sealed record Entry(bool PublicBucket, ObjectRecord? Row, long Generation, long ReadAt)
    {
        /// <summary>1 once a reader was told to read this answer again.</summary>
        public int RefreshClaimed;
    }
}
