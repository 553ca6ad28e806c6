using System.Runtime.InteropServices;

namespace MadBase.Edge.Objects;

internal sealed partial class FileObjectStore
{
    private const int EPerm = 1; // errno: the filesystem does not support hard links
    private const int EExist = 17; // errno: the new path already exists
    private const int EXDev = 18; // errno: the paths are on different filesystems

    /// <summary>
    /// Makes a finished local file (a TUS scratch file, already fsynced by its writer) the bytes of <paramref name="key"/>
    /// with one hard link instead of a copy. A link, not a rename: the source stays intact until its owner deletes it,
    /// so if recording the row fails afterwards (and the key is deleted again) the upload can still be completed
    /// from its scratch file. Returns null when linking is impossible (another filesystem, no hard links): the caller
    /// then copies with <see cref="PutAsync"/>. Repeatable: an existing key is replaced by a fresh link.
    /// </summary>
    public StoredBytes? TryAdopt(string key, string localPath, long expectedLength, string etag)
    {
        var path = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (Link(localPath, path) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EExist)
            {
                return errno is EXDev or EPerm ? null : throw new IOException($"link {key}: errno {errno}");
            }

            // A retry after a crash: the key already links to an earlier attempt's (identical) bytes; link afresh.
            File.Delete(path);
            if (Link(localPath, path) != 0)
            {
                throw new IOException($"link {key}: errno {Marshal.GetLastPInvokeError()}");
            }
        }

        var stored = new FileInfo(path).Length;
        if (stored != expectedLength)
        {
            throw new IOException($"{key}: {stored} bytes stored, {expectedLength} expected");
        }

        return new StoredBytes(expectedLength, etag);
    }

    // link(2); DllImport rather than LibraryImport because the Edge project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "link", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Link(string existingPath, string newPath);
}
