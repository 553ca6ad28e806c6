using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace MadBase.Edge.Realtime.Sockets;

/// <summary>
/// The memory of the HTTP connections the epoll transport hands to Kestrel: blocks of <see cref="BlockSize"/> bytes,
/// reused from a bounded free list, instead of Kestrel's 4 KiB pinned blocks.
/// </summary>
/// <remarks>
/// Why: Kestrel's socket receive asks its input pipe for at least 2 KiB and gets the rest of the current block, so with
/// 4 KiB blocks a request body arrives 2 KiB per <c>recv</c> on average. A 200 MiB TUS upload was 104,488 <c>recv</c>
/// calls and as many thread-pool wake-ups (110,503 <c>sched_yield</c> from spinning workers; <c>strace -c</c>), most of
/// the server's CPU that was not the copy itself. With 64 KiB blocks each <c>recv</c> takes up to 64 KiB, and
/// responses leave in fewer, larger segments (against 32 KiB blocks: a 200 MiB upload's server CPU 0.64 → 0.57 CPU-s,
/// medians of seven alternated curl uploads, and the peak of eight concurrent uploads unchanged; load/README.md "tus",
/// session 16). What it costs: an active connection holds up to one block per pipe while it has unread or unsent
/// bytes (idle keep-alive connections hold none: the transport waits for data before it allocates), and the free list
/// keeps at most <see cref="MaxFreeBlocks"/> blocks (8 MiB) after a burst. The arrays are not pinned up front; the
/// socket pins a block only for the duration of one send or receive.
/// </remarks>
internal sealed class HttpMemoryPool : MemoryPool<byte>, IMemoryPoolFactory<byte>
{
    /// <summary>Large enough that an upload's receive costs little per byte, small enough to stay below the large object heap (85,000 bytes).</summary>
    public const int BlockSize = 64 * 1024;

    public static readonly HttpMemoryPool Instance = new();

    private HttpMemoryPool()
    {
    }

    public override int MaxBufferSize => BlockSize;

    /// <summary>
    /// Unread bytes a connection's input pipe may hold before the transport stops reading the socket (Kestrel's default
    /// is 1 MiB). An upload's handler drains its pipe as fast as it writes the scratch file, so more buffering only
    /// adds memory per concurrent upload; the kernel's socket buffer holds the rest meanwhile.
    /// </summary>
    public const int MaxReadBufferSize = 256 * 1024;

    /// <summary>
    /// Unsent bytes a connection's output pipe may hold before a response's writer waits (Kestrel's default is 64 KiB):
    /// a large download keeps the socket fed while its next chunk is read, in fewer, larger sends.
    /// </summary>
    public const int MaxWriteBufferSize = 512 * 1024;

    /// <summary>
    /// Options for Kestrel's socket transport with this pool, <see cref="MaxReadBufferSize"/> and
    /// <see cref="MaxWriteBufferSize"/> (the pool option is internal to Kestrel; there is no public setter).
    /// </summary>
    public static SocketConnectionFactoryOptions TransportOptions()
    {
        var options = new SocketConnectionFactoryOptions { MaxReadBufferSize = MaxReadBufferSize, MaxWriteBufferSize = MaxWriteBufferSize };
        SetMemoryPoolFactory(options, Instance);
        return options;
    }

    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => this;

    /// <summary>
    /// Blocks kept for reuse (8 MiB at most). ArrayPool's shared buckets keep about 32 arrays per core, fewer than eight
    /// concurrent uploads hold at once: the rest were allocated and dropped on every turn, and that garbage, not live
    /// data, set the peak memory of concurrent uploads.
    /// </summary>
    private const int MaxFreeBlocks = 128;

    private readonly ConcurrentQueue<byte[]> _free = new();
    private int _freeCount;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        if (_free.TryDequeue(out var array))
        {
            Interlocked.Decrement(ref _freeCount);
            return new Block(this, array);
        }

        return new Block(this, GC.AllocateUninitializedArray<byte>(BlockSize));
    }

    private void Return(byte[] array)
    {
        if (Interlocked.Increment(ref _freeCount) <= MaxFreeBlocks)
        {
            _free.Enqueue(array);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount); // past the cap: left to the GC
        }
    }

    /// <summary>Shared by every connection for the process's life: nothing to release.</summary>
    protected override void Dispose(bool disposing)
    {
    }

    // Bound by name at compile time (AOT-safe); a Kestrel that renamed it fails at the first start, in every test.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MemoryPoolFactory")]
    private static extern void SetMemoryPoolFactory(SocketConnectionFactoryOptions options, IMemoryPoolFactory<byte> factory);

    /// <summary>One rented array; the pipe disposes it once its bytes are consumed, which returns it.</summary>
    private sealed class Block(HttpMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private byte[]? _array = array;

        public Memory<byte> Memory => _array ?? throw new ObjectDisposedException(nameof(Block));

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _array, null) is { } array)
            {
                pool.Return(array);
            }
        }
    }
}
