using System.Collections.Concurrent;
using MadBase.Edge.Hosting;

namespace MadBase.Edge.Uploads;

/// <summary>
/// One writer per upload. In this process a <see cref="SemaphoreSlim"/> per id decides instantly (no database round
/// trip for the common case); across processes a lease in <c>madbase.tus_uploads</c> (<c>lock_holder</c>,
/// <c>locked_until</c>) does. A request that dies releases in its <c>finally</c>; a process that dies leaves a
/// lease its next start clears (the holder names the instance), and any other instance waits at most
/// <see cref="LeaseDuration"/>. No connection is pinned while bytes stream.
/// </summary>
internal sealed class UploadLocks(UploadRepository repository, EdgeOptions options)
{
    /// <summary>Longer than any sane PATCH; only bounds how long a crashed instance's lease blocks another instance.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>This instance's stable name (its listen address) — survives a restart so the restart can clear its leases.</summary>
    public string Instance { get; } = options.Listen.ToString();

    /// <summary>Holder value for leases taken by this process: instance plus a per-boot nonce.</summary>
    public string Holder { get; } = options.Listen + "|" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Takes the upload's lock, waiting up to <paramref name="wait"/> for a running request to finish (HEAD waits a
    /// little so it reports a settled offset; PATCH does not wait: a competing writer gets 423 at once).
    /// </summary>
    public async Task<Lease> AcquireAsync(string id, TimeSpan wait, CancellationToken cancellationToken)
    {
        var entry = Rent(id);
        var taken = false;
        try
        {
            taken = await entry.Semaphore.WaitAsync(wait, cancellationToken);
            if (!taken || !await repository.TryLeaseAsync(id, Holder, LeaseDuration, cancellationToken))
            {
                throw UploadException.Locked();
            }

            return new Lease(this, id, entry);
        }
        catch
        {
            if (taken)
            {
                entry.Semaphore.Release();
            }

            Forget(id, entry);
            throw;
        }
    }

    private async Task ReleaseAsync(string id, Entry entry)
    {
        try
        {
            await repository.ReleaseLeaseAsync(id, Holder, CancellationToken.None);
        }
        finally
        {
            entry.Semaphore.Release();
            Forget(id, entry);
        }
    }

    /// <summary>Reference-counted entries: the map holds only ids someone is using, and a retired entry is never reused.</summary>
    private Entry Rent(string id)
    {
        while (true)
        {
            var entry = _entries.GetOrAdd(id, static _ => new Entry());
            lock (entry)
            {
                if (!entry.Retired)
                {
                    entry.References++;
                    return entry;
                }
            }
        }
    }

    private void Forget(string id, Entry entry)
    {
        lock (entry)
        {
            if (--entry.References == 0)
            {
                entry.Retired = true;
                _entries.TryRemove(new KeyValuePair<string, Entry>(id, entry));
            }
        }
    }

    internal sealed class Entry
    {
        public SemaphoreSlim Semaphore { get; } = new(1, 1);

        public int References { get; set; }

        public bool Retired { get; set; }
    }

    /// <summary>Held for one request; disposing releases both the lease and the in-process lock.</summary>
    internal sealed class Lease(UploadLocks owner, string id, Entry entry) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? new ValueTask(owner.ReleaseAsync(id, entry)) : ValueTask.CompletedTask;
    }
}
