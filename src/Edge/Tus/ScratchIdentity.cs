using System.Runtime.InteropServices;
using System.Text;

namespace MadBase.Edge.Tus;

/// <summary>What a look at an upload's scratch file found: whether it is there, its size and its identity.</summary>
internal readonly record struct ScratchState(bool Exists, long Size, string? Identity);

/// <summary>
/// Recognises an upload's own scratch file, so a file that was deleted and recreated, replaced (a disk swapped, a tmp
/// reaper, an operator), or that simply is not there (a container restarted on fresh local storage, a request that
/// landed on another node) is never taken for the bytes the upload received. When the file is created a random nonce
/// is written into an extended attribute (<c>user.madbase.upload</c>); the identity recorded with the offset is that
/// nonce. Device numbers are deliberately left out where the nonce exists: an overlay or a remount gives the same
/// file a new device number, and that must not cost a user the bytes already uploaded. Where the filesystem has no
/// extended attributes the identity falls back to device + inode (a recreated file usually gets a new inode; the
/// content CRC checked at completion catches the rest). Off Linux there is no identity, only existence and size.
/// </summary>
internal static class ScratchIdentity
{
    private const string AttributeName = "user.madbase.upload";
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxSize = 256;
    private const int ENoEnt = 2;
    private const int ERange = 34; // an attribute larger than any nonce: not ours
    private const int ENoData = 61; // no such attribute
    private const int ENotSup = 95;

    /// <summary>Gives a freshly created file its nonce and returns the identity to record (null off Linux).</summary>
    public static string? Stamp(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var nonce = Encoding.ASCII.GetBytes(Guid.NewGuid().ToString("N"));
        if (SetXAttr(path, AttributeName, nonce, (nuint)nonce.Length, 0) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != ENotSup)
            {
                throw new IOException($"setxattr on a scratch file failed: errno {errno}");
            }
        }

        return Inspect(path).Identity;
    }

    /// <summary>Looks at the file without opening it.</summary>
    public static ScratchState Inspect(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            var info = new FileInfo(path);
            return info.Exists ? new ScratchState(true, info.Length, null) : new ScratchState(false, 0, null);
        }

        var statx = new byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxBasicStats, statx) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            return errno == ENoEnt ? new ScratchState(false, 0, null) : throw new IOException($"statx of a scratch file failed: errno {errno}");
        }

        // struct statx (linux/stat.h, the same on every architecture): stx_ino at 32, stx_size at 40, stx_dev_major/minor at 136/140.
        var size = BitConverter.ToInt64(statx, 40);
        var nonce = new byte[64];
        var n = GetXAttr(path, AttributeName, nonce, (nuint)nonce.Length);
        if (n > 0)
        {
            return new ScratchState(true, size, "x:" + Encoding.ASCII.GetString(nonce, 0, (int)n));
        }

        var error = Marshal.GetLastPInvokeError();
        if (n == 0 || error is ENoData or ERange)
        {
            return new ScratchState(true, size, "x:none"); // the filesystem has attributes, this file has no nonce: not ours
        }

        if (error != ENotSup)
        {
            throw new IOException($"getxattr of a scratch file failed: errno {error}");
        }

        var inode = BitConverter.ToUInt64(statx, 32);
        var major = BitConverter.ToUInt32(statx, 136);
        var minor = BitConverter.ToUInt32(statx, 140);
        return new ScratchState(true, size, $"i:{major}:{minor}:{inode}");
    }

    // DllImport rather than LibraryImport because the Edge project does not allow unsafe code; byte[] is pinned for the call.
    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int Statx(int dirFd, string path, int flags, uint mask, byte[] buffer);

    [DllImport("libc", EntryPoint = "getxattr", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern nint GetXAttr(string path, string name, byte[] value, nuint size);

    [DllImport("libc", EntryPoint = "setxattr", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    private static extern int SetXAttr(string path, string name, byte[] value, nuint size, int flags);
}
