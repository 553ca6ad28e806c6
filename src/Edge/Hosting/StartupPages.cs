using System.Globalization;
using System.Runtime.InteropServices;

namespace MadBase.Edge.Hosting;

/// <summary>
/// Gives back the executable's pages that only starting needed. Once the server has started, most of the binary's
/// resident pages are code and read-only data it touched once (configuration, dependency injection, migrations, the
/// runtime rehydrating its type data): measured, about 18 of its 33 MiB idle RSS were the binary's own file pages,
/// of which a quiet server touched about 1.3 MiB in 15 s (docs/footprint.md). <c>madvise(MADV_PAGEOUT)</c> over the
/// binary's read-only mappings lets the kernel reclaim them now instead of under memory pressure. They are clean file
/// pages, so nothing is lost: a page needed again is read back from the page cache or the file (a fault on the first
/// request of a kind after the page-out, once). Pages the process wrote (relocated data) are anonymous and stay, as
/// the kernel reclaims anonymous memory only to swap. Linux 5.4+; elsewhere the call fails and nothing happens.
/// </summary>
internal static class StartupPages
{
    private const int MadvPageout = 21;

    /// <summary>Advises page-out of the executable's non-writable mappings; returns the bytes advised (0 if none).</summary>
    public static long PageOut()
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessPath is not { } executable)
        {
            return 0;
        }

        long advised = 0;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            if (ParseReadOnlyMapping(line, executable) is var (start, length) && length > 0 && Madvise(start, length, MadvPageout) == 0)
            {
                advised += (long)length;
            }
        }

        return advised;
    }

    /// <summary>
    /// A <c>/proc/self/maps</c> line's range when it maps <paramref name="executable"/> without write permission
    /// (a binary replaced on disk while running is listed with " (deleted)" after its path).
    /// </summary>
    internal static (nint Start, nuint Length)? ParseReadOnlyMapping(string line, string executable)
    {
        // start-end perms offset dev inode path
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 6 || fields[1].Contains('w') || !fields[5].StartsWith(executable, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = fields[5].AsSpan(executable.Length);
        if (!rest.IsEmpty && !rest.SequenceEqual(" (deleted)"))
        {
            return null;
        }

        var dash = fields[0].IndexOf('-');
        if (dash < 0
            || !ulong.TryParse(fields[0].AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var start)
            || !ulong.TryParse(fields[0].AsSpan(dash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var end)
            || end <= start)
        {
            return null;
        }

        return ((nint)start, (nuint)(end - start));
    }

    // DllImport rather than LibraryImport because the Edge project does not allow unsafe code.
    [DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(nint address, nuint length, int advice);
}
