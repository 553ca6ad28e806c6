using System.Collections.Concurrent;
using MadBase.Edge.Cluster;

namespace MadBase.Edge.Tus;

/// <summary>
/// One writer per upload. In this process a <see cref="SemaphoreSlim"/> per id decides instantly (no database round
/// trip for the common case); across processes a lease in <c>madbase.tus_uploads</c> (<c>lock_holder</c>,
/// <c>locked_until</c>) does. A request that dies releases in its <c>finally</c>; a process that dies leaves a
/// lease its next start clears (the holder names the instance), and any other instance waits at most
/// <see cref="LeaseDuration"/>. No connection is pinned while bytes stream.
/// In cluster mode the holder names the cluster node: a lease held by a node the cluster knows to be down is taken
/// over at once, and a live holder is sent a release request (its request stops reading, stores what it has and
/// lets go) before the new request gives up with 423.
/// A lease ends with its request, even while this process still sends the upload's S3 parts in the background
/// (<see cref="PartBatches"/>): the next holder that reads or changes the multipart state settles them first
/// (<see cref="ProgressiveParts.SettleAsync"/>), and in cluster mode, where the next holder may be another node, no
/// batch is ever left running (see <see cref="ProgressiveParts"/>).
/// </summary>
internal sealed class UploadLocks
{
    /// <summary>How long a request waits for a live node to let go after a release request.</summary>
    private static readonly TimeSpan s_releaseWait = TimeSpan.FromSeconds(3);

    private readonly UploadRepository _repository;
    private readonly ClusterMembership _cluster;

    private readonly ILogger _logger;

    public UploadLocks(UploadRepository repository, EdgeOptions options, ClusterMembership cluster, ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger("MadBase.Edge.Tus.UploadLocks");
        _repository = repository;
        _cluster = cluster;

        // Cluster nodes may share a listen address on different hosts: the host's name keeps a restart's clean-up
        // (UploadSweeper) to its own leases.
        Instance = cluster.Enabled ? Environment.MachineName + "/" + options.Listen : options.Listen.ToString();
        Holder = Instance + "|" + (cluster.Enabled ? cluster.NodeId : Guid.NewGuid().ToString("N"));
        cluster.ReleaseRequested += Release;
    }

    /// <summary>Longer than any sane PATCH; only bounds how long a crashed instance's lease blocks another instance.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>This instance's stable name (its listen address) — survives a restart so the restart can clear its leases.</summary>
    public string Instance { get; }

    /// <summary>Holder value for leases taken by this process: instance plus a per-boot nonce (the cluster node id in cluster mode).</summary>
    public string Holder { get; }

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
            if (!taken || !(await _repository.TryLeaseAsync(id, Holder, LeaseDuration, cancellationToken) || await TakeFromOtherNodeAsync(id, cancellationToken)))
            {
                throw TusStateErrors.Locked();
            }

            entry.Release = new CancellationTokenSource();
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

    /// <summary>
    /// Cluster mode, the lease is held elsewhere: taken over when its node is down; otherwise that node is asked to let
    /// go, and the lease is tried again for a few seconds.
    /// </summary>
    private async Task<bool> TakeFromOtherNodeAsync(string id, CancellationToken cancellationToken)
    {
        if (!_cluster.Enabled || await _repository.LeaseHolderAsync(id, cancellationToken) is not { } holder)
        {
            return false;
        }

        var node = holder[(holder.LastIndexOf('|') + 1)..];
        if (_cluster.IsDead(node))
        {
            Logging.Log.UploadLeaseTakenOver(_logger, id, node);
            return await _repository.TakeOverLeaseAsync(id, holder, Holder, LeaseDuration, cancellationToken);
        }

        _cluster.RequestRelease(node, id);
        var deadline = DateTime.UtcNow + s_releaseWait;
        while (DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
            if (await _repository.TryLeaseAsync(id, Holder, LeaseDuration, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Another node asked for <paramref name="id"/>: the request holding it here stops reading its body.</summary>
    private void Release(string id)
    {
        if (_entries.TryGetValue(id, out var entry))
        {
            try
            {
                entry.Release?.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile.
            }
        }
    }

    private async Task ReleaseAsync(string id, Entry entry)
    {
        try
        {
            await _repository.ReleaseLeaseAsync(id, Holder, CancellationToken.None);
        }
        finally
        {
            var release = entry.Release;
            entry.Release = null;
            release?.Dispose();
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

        /// <summary>Cancelled when another node asks for the lease (cluster mode); set while a request holds it.</summary>
        public CancellationTokenSource? Release { get; set; }
    }

    /// <summary>Held for one request; disposing releases both the lease and the in-process lock.</summary>
    internal sealed class Lease(UploadLocks owner, string id, Entry entry) : IAsyncDisposable
    {
        private int _released;

        /// <summary>Cancelled when another node asks for this upload (cluster mode): stop reading, keep what is in.</summary>
        public CancellationToken ReleaseRequested { get; } = entry.Release?.Token ?? CancellationToken.None;

        public ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? new ValueTask(owner.ReleaseAsync(id, entry)) : ValueTask.CompletedTask;
    }
}
