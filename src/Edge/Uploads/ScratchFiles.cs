using MadBase.Edge.Hosting;
using Microsoft.Win32.SafeHandles;

namespace MadBase.Edge.Uploads;

/// <summary>
/// One sparse scratch file per upload under <c>MADBASE_SCRATCH_DIR</c>, named by the upload's version uuid (the
/// upload id itself can be far longer than a file name may be). PATCH bodies land at their offset with
/// <see cref="RandomAccess"/>; nothing here buffers a whole chunk.
/// </summary>
internal sealed class ScratchFiles
{
    private readonly string _dir;

    public ScratchFiles(EdgeOptions options)
    {
        _dir = options.ScratchDir;
        Directory.CreateDirectory(_dir);
    }

    public string PathFor(Guid version) => Path.Combine(_dir, version.ToString("N") + ".part");

    /// <summary>Creates (or reopens after a crash) the scratch file for writing at arbitrary offsets.</summary>
    public SafeFileHandle OpenWrite(Guid version) =>
        File.OpenHandle(PathFor(version), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);

    public SafeFileHandle OpenRead(Guid version) =>
        File.OpenHandle(PathFor(version), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, FileOptions.SequentialScan);

    public bool Exists(Guid version) => File.Exists(PathFor(version));

    /// <summary>Creates the empty file and fsyncs it, so a later offset never points into a file the crash lost.</summary>
    public void Create(Guid version)
    {
        using var handle = File.OpenHandle(PathFor(version), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        RandomAccess.FlushToDisk(handle);
    }

    public void Delete(Guid version) => File.Delete(PathFor(version));
}
