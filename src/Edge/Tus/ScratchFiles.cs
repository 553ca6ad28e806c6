using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Tus;

/// <summary>
/// One sparse scratch file per upload under <c>MADBASE_SCRATCH_DIR</c>, named by the upload's version uuid (the
/// upload id itself can be far longer than a file name may be). PATCH bodies land at their offset with
/// <see cref="RandomAccess"/>; nothing here buffers a whole chunk. Each file carries an identity
/// (<see cref="ScratchIdentity"/>) recorded with the upload, so a file that is not this upload's is never read as if
/// it were, and a file is only ever created by <see cref="Create"/>: writing never brings a missing file back empty.
/// </summary>
internal sealed class ScratchFiles
{
    private readonly string _dir;

    public ScratchFiles(EdgeOptions options)
    {
        _dir = options.ScratchDir;
        Directory.CreateDirectory(_dir);
    }

    /// <summary>
    /// Whether a scratch write failed because the disk (or the user's quota) is full: ENOSPC or EDQUOT. .NET's
    /// IOExceptions on Unix carry the errno as HResult, and so do ours (<see cref="GatherWriter"/>, <see cref="ScratchSync"/>).
    /// </summary>
    public static bool IsDiskFull(IOException ex) => ex.HResult is 28 or 122;

    public string PathFor(Guid version) => Path.Combine(_dir, version.ToString("N") + ".part");

    /// <summary>Opens the existing scratch file for writing at arbitrary offsets (a missing one is an error, not a new file).</summary>
    public SafeFileHandle OpenWrite(Guid version) =>
        File.OpenHandle(PathFor(version), FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);

    public SafeFileHandle OpenRead(Guid version) =>
        File.OpenHandle(PathFor(version), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);

    public bool Exists(Guid version) => File.Exists(PathFor(version));

    /// <summary>Whether the file is there, its size and identity (two syscalls, no open).</summary>
    public ScratchState Inspect(Guid version) => ScratchIdentity.Inspect(PathFor(version));

    /// <summary>
    /// Creates an empty file (replacing whatever is at its path), gives it a new identity and fsyncs it. Returns the
    /// identity to record with the upload. Callers that replace a file delete it first, so it also gets a new inode.
    /// </summary>
    /// <param name="version">The upload's version (the file's name).</param>
    /// <param name="start">Where the file's bytes will start: it is made that long (sparse), so its size never falls below the offset.</param>
    public string? Create(Guid version, long start = 0)
    {
        var path = PathFor(version);
        using var handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        if (start > 0)
        {
            RandomAccess.SetLength(handle, start);
        }

        var identity = ScratchIdentity.Stamp(path);
        RandomAccess.FlushToDisk(handle);
        return identity;
    }

    public void Delete(Guid version) => File.Delete(PathFor(version));
}
