using System.Runtime.InteropServices;

namespace MadBase.Load.Net;

/// <summary>
/// Linux epoll via libc. The driver watches thousands of sockets from one thread; .NET has no public readiness API
/// (Socket.Select is O(n) per call and the async socket engine dispatches each completion to the thread pool, which
/// the anchors measured at 2-3x the client CPU per delivery).
/// </summary>
internal static partial class Epoll
{
    // EPOLLERR and EPOLLHUP are always reported; a recv() then returns the error or 0 and the receiver drops the socket.
    public const uint In = 0x001;
    public const uint RdHup = 0x2000;

    private const int CtlAdd = 1;
    private const int CtlDel = 2;
    private const int CloExec = 0x80000;
    private const int Eintr = 4;

    /// <summary>
    /// <c>struct epoll_event</c> is declared <c>__attribute__((packed))</c> on x86-64 (12 bytes: u32 events, u64
    /// data at offset 4); other architectures use natural alignment (16 bytes). Only x86-64 is supported, checked in
    /// <see cref="Create"/>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct Event
    {
        public uint Events;
        public ulong Data;
    }

    public static int Create()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64 || !OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The load driver's epoll layout is Linux x86-64 only.");
        }

        int fd = epoll_create1(CloExec);
        return fd >= 0 ? fd : throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Registers <paramref name="fd"/> level-triggered for input; <paramref name="data"/> comes back in each event.</summary>
    public static void Add(int epfd, int fd, ulong data)
    {
        var ev = new Event { Events = In | RdHup, Data = data };
        if (epoll_ctl(epfd, CtlAdd, fd, ref ev) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(ADD) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Unregisters; errors are ignored because the socket may already be closed, which removes it anyway.</summary>
    public static void Remove(int epfd, int fd)
    {
        var ev = default(Event);
        _ = epoll_ctl(epfd, CtlDel, fd, ref ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (0 = poll); returns the number of events, 0 on EINTR.</summary>
    public static int Wait(int epfd, Span<Event> events, int timeoutMs)
    {
        int n = epoll_wait(epfd, ref MemoryMarshal.GetReference(events), events.Length, timeoutMs);
        if (n >= 0)
        {
            return n;
        }

        int errno = Marshal.GetLastPInvokeError();
        return errno == Eintr ? 0 : throw new InvalidOperationException($"epoll_wait failed: errno {errno}");
    }

    public static void Close(int fd) => _ = close(fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, ref Event ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, ref Event events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
