using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MadBase.Edge.Uploads;

/// <summary>
/// Running MD5s of uploads' bytes, fed as PATCH bodies are written, so completion on the file backend needs no
/// second pass over the scratch file to compute the ETag (docs/protocol/tus-and-storage.md §Hash once). Best effort and
/// in memory only: a digest is kept only while it provably covers bytes 0..offset (chunks arrive in order); after a
/// restart, a discarded chunk (checksum mismatch, overrun) or an out-of-order offset it is dropped, and completion
/// falls back to reading the file.
/// </summary>
internal sealed class UploadDigests
{
    /// <summary>Bounds memory if clients abandon many uploads before the sweeper forgets them (~200 B each).</summary>
    private const int MaxTracked = 10_000;

    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    /// <summary>The digest to extend with a chunk written at <paramref name="offset"/>, or null when it cannot be continued.</summary>
    public Running? Continue(string id, long offset)
    {
        if (_running.TryGetValue(id, out var running) && running.Offset == offset)
        {
            return running;
        }

        Forget(id);
        if (offset != 0 || _running.Count >= MaxTracked)
        {
            return null;
        }

        running = new Running();
        return _running.TryAdd(id, running) ? running : null;
    }

    /// <summary>The quoted hex MD5 when the digest covers exactly <paramref name="length"/> bytes; null otherwise.</summary>
    public string? QuotedETag(string id, long length)
    {
        if (!_running.TryGetValue(id, out var running) || running.Offset != length)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        running.Hash.GetCurrentHash(hash);
        return "\"" + Convert.ToHexStringLower(hash) + "\"";
    }

    public void Forget(string id)
    {
        if (_running.TryRemove(id, out var running))
        {
            running.Hash.Dispose();
        }
    }

    /// <summary>One upload's digest and how many bytes it covers. Only the upload's lock holder touches it.</summary>
    internal sealed class Running
    {
        // MD5 is the ETag format S3 and Supabase clients expect, not a security measure.
#pragma warning disable CA5351
        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351

        public long Offset { get; set; }
    }
}
