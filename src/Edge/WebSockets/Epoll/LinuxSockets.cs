using System.Runtime.InteropServices;

namespace MadBase.Edge.WebSockets.Epoll;

/// <summary>
/// The libc calls the epoll transport makes on raw descriptors. Buffers travel as <c>ref byte</c>: the runtime pins a
/// blittable by-ref argument for the call, so no <c>GCHandle</c> and no unsafe code (the Edge project has none).
/// DllImport rather than LibraryImport for the same reason; every signature is blittable, so Native AOT compiles the
/// stubs ahead of time. Errors come back as the negated errno (never an exception): callers treat EAGAIN as "wait for
/// the next edge" and everything else as "the peer is gone".
/// </summary>
internal static class LinuxSockets
{
    public const int EAgain = 11;
    public const int EIntr = 4;

    private const int ENoMem = 12;
    private const int ENFile = 23;
    private const int EMFile = 24;
    private const int ENoBufs = 105;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEdgeTriggered = 1u << 31;

    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int CloExec = 0x80000;
    private const int NonBlock = 0x800;
    private const int MsgPeek = 0x2;
    private const int MsgNoSignal = 0x4000;
    private const int MsgMore = 0x8000;
    private const int ShutWrite = 1;
    private const int IpProtoTcp = 6;
    private const int TcpNoDelay = 1;

    /// <summary>
    /// <c>struct epoll_event</c> is <c>__attribute__((packed))</c> on x86-64: 12 bytes, the u64 data at offset 4.
    /// <see cref="IsSupported"/> limits the transport to that layout.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>Linux on x86-64: the only platform whose <c>epoll_event</c> layout this file declares.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static int EpollCreate() => Check(epoll_create1(CloExec), "epoll_create1");

    /// <summary>Registers <paramref name="fd"/>; returns 0 or the negated errno.</summary>
    public static int EpollAdd(int epoll, int fd, uint events, ulong data)
    {
        var ev = new EpollEvent { Events = events, Data = data };
        return epoll_ctl(epoll, EpollCtlAdd, fd, ref ev) == 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>Unregisters; errors are ignored (a descriptor that is already gone is unregistered anyway).</summary>
    public static void EpollRemove(int epoll, int fd)
    {
        var ev = default(EpollEvent);
        _ = epoll_ctl(epoll, EpollCtlDel, fd, ref ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever); the number of events, 0 on EINTR.</summary>
    public static int EpollWait(int epoll, EpollEvent[] events, int timeoutMs)
    {
        var n = epoll_wait(epoll, ref events[0], events.Length, timeoutMs);
        if (n >= 0)
        {
            return n;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == EIntr ? 0 : throw new IOException($"epoll_wait failed: errno {errno}");
    }

    /// <summary>A non-blocking, close-on-exec eventfd: the loop's wake-up.</summary>
    public static int EventFdCreate() => Check(eventfd(0, CloExec | NonBlock), "eventfd");

    public static void EventFdSignal(int fd)
    {
        ulong one = 1;
        _ = write(fd, ref one, sizeof(ulong));
    }

    public static void EventFdDrain(int fd)
    {
        ulong value = 0;
        _ = read(fd, ref value, sizeof(ulong));
    }

    /// <summary>Accepts one pending connection, non-blocking and close-on-exec; the descriptor or the negated errno.</summary>
    public static int Accept(int listener)
    {
        var fd = accept4(listener, IntPtr.Zero, IntPtr.Zero, NonBlock | CloExec);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    /// <summary>errno values that mean "no descriptors or memory right now", not "this one connection failed".</summary>
    public static bool IsResourceExhaustion(int errno) => errno is EMFile or ENFile or ENoBufs or ENoMem;

    /// <summary>Small realtime frames must not wait for Nagle's algorithm (Kestrel sets the same on its sockets).</summary>
    public static void SetNoDelay(int fd)
    {
        var on = 1;
        _ = setsockopt(fd, IpProtoTcp, TcpNoDelay, ref on, sizeof(int));
    }

    /// <summary>Bytes received into <paramref name="buffer"/>; 0 at end of stream; the negated errno on failure.</summary>
    public static int Receive(int fd, Span<byte> buffer, bool peek = false)
    {
        while (true)
        {
            var n = recv(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, peek ? MsgPeek : 0);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>Bytes sent (possibly fewer than asked); the negated errno on failure. Never raises SIGPIPE.</summary>
    public static int Send(int fd, ReadOnlySpan<byte> buffer)
    {
        while (true)
        {
            var n = send(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, MsgNoSignal);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>
    /// Like <see cref="Send(int, ReadOnlySpan{byte})"/>; with <paramref name="more"/> (MSG_MORE) the kernel holds the bytes for what follows, so a
    /// response head and the start of its body leave in one segment.
    /// </summary>
    public static int Send(int fd, ReadOnlySpan<byte> buffer, bool more)
    {
        while (true)
        {
            var n = send(fd, ref MemoryMarshal.GetReference(buffer), buffer.Length, more ? MsgNoSignal | MsgMore : MsgNoSignal);
            if (n >= 0)
            {
                return (int)n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> bytes of <paramref name="file"/> from <paramref name="offset"/> (advanced by what
    /// was sent) from the page cache to the socket, with no copy through this process; the bytes sent (0: the file
    /// ended early), or the negated errno.
    /// </summary>
    public static long SendFile(int socket, int file, ref long offset, long count)
    {
        while (true)
        {
            var n = sendfile64(socket, file, ref offset, (nint)count);
            if (n >= 0)
            {
                return n;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>Opens a file read-only (<c>O_RDONLY | O_CLOEXEC</c>) by its NUL-terminated UTF-8 path; the descriptor or the negated errno.</summary>
    public static int OpenRead(ReadOnlySpan<byte> pathZ)
    {
        while (true)
        {
            var fd = open(ref MemoryMarshal.GetReference(pathZ), CloExec);
            if (fd >= 0)
            {
                return fd;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno != EIntr)
            {
                return -errno;
            }
        }
    }

    /// <summary>Sends FIN after the last queued byte; reads stay open (the peer's Close may still arrive).</summary>
    public static void ShutdownWrite(int fd) => _ = shutdown(fd, ShutWrite);

    public static void Close(int fd) => _ = close(fd);

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new IOException($"{call} failed: errno {Marshal.GetLastPInvokeError()}");

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);

    [DllImport("libc", SetLastError = true)]
    private static extern int epoll_wait(int epfd, ref EpollEvent events, int maxEvents, int timeout);

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, ref ulong buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern nint write(int fd, ref ulong buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int accept4(int fd, IntPtr address, IntPtr addressLength, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, ref int value, int length);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recv(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, ref byte buffer, nint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int shutdown(int fd, int how);

    [DllImport("libc", SetLastError = true)]
    private static extern int open(ref byte path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendfile64(int outFd, int inFd, ref long offset, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
