using System.Collections.Concurrent;

namespace MadBase.Edge.Objects;

/// <summary>
/// At most one query per public object at a time: downloads that miss <see cref="PublicRowCache"/> together (its
/// answer expired under load, or a cold start) wait for the same read instead of each asking. Seen without it: 16
/// connections missing at one expiry queued 16 queries on the pool, 0.6 s each on a saturated 2-core machine, while
/// every connection waited.
/// </summary>
/// <remarks>
/// Invariant: a caller joins only a read started under the cache generation it sees (taken before the read's query),
/// so a download after a write through this node never gets an answer read before that write.
/// </remarks>
internal sealed class PublicRowReads
{
    private readonly ConcurrentDictionary<(string Bucket, string Name), Flight> _running = new();

    /// <summary>The running read of (<paramref name="bucket"/>, <paramref name="name"/>) under <paramref name="generation"/>, or a new one by <paramref name="read"/>.</summary>
    public Task<(bool PublicBucket, ObjectRecord? Row)> Join(
        string bucket, string name, long generation, Func<string, string, long, Task<(bool PublicBucket, ObjectRecord? Row)>> read)
    {
        var key = (bucket, name);
        while (true)
        {
            var running = _running.GetValueOrDefault(key);
            if (running is not null && running.Generation == generation)
            {
                return running.Answer.Task;
            }

            var mine = new Flight(generation);
            if (running is null ? _running.TryAdd(key, mine) : _running.TryUpdate(key, mine, running))
            {
                _ = RunAsync(key, mine, read);
                return mine.Answer.Task;
            }
        }
    }

    private async Task RunAsync((string Bucket, string Name) key, Flight flight, Func<string, string, long, Task<(bool PublicBucket, ObjectRecord? Row)>> read)
    {
        try
        {
            flight.Answer.SetResult(await read(key.Bucket, key.Name, flight.Generation)); // nobody's cancellation stops it: others wait too
        }
        catch (Exception ex)
        {
            flight.Answer.SetException(ex); // every waiter sees the failure, as each would have seen its own
        }
        finally
        {
            _running.TryRemove(KeyValuePair.Create(key, flight));
        }
    }

    private sealed class Flight(long generation)
    {
        public long Generation { get; } = generation;

        public TaskCompletionSource<(bool PublicBucket, ObjectRecord? Row)> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
