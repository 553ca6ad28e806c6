using System.Collections.Concurrent;

namespace MadBase.Edge.WebSockets.Epoll;

/// <summary>Something registered with an <see cref="EpollLoop"/>: told about readiness, on the loop's thread.</summary>
internal interface IEpollHandler
{
    void OnEvents(uint events);
}

/// <summary>Something with a deadline the loop checks about once a second (<see cref="EpollLoop.Watch"/>).</summary>
internal interface IEpollDeadline
{
    /// <returns>True when it no longer needs watching (done, or its deadline passed and it acted on it).</returns>
    bool OnTick(long nowMs);
}

/// <summary>
/// One thread waiting on one epoll set. Registered descriptors are looked up by slot (the event's data is
/// <c>generation &lt;&lt; 32 | slot</c>, so a late event for a reused slot is ignored) and their handlers run inline on
/// this thread: realtime sockets read and decode here without a thread-pool hop or an async state machine per socket.
/// Other threads hand work in with <see cref="Post"/>; the slot table is only ever touched on the loop thread.
/// </summary>
internal sealed class EpollLoop : IDisposable
{
    private const ulong WakeToken = ulong.MaxValue;
    private const int MaxEventsPerWait = 256;
    private const int TickMs = 1000;

    private readonly int _epoll;
    private readonly int _wake;
    private readonly Thread _thread;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Stack<int> _freeSlots = new();
    private readonly List<IEpollDeadline> _watched = [];
    private long _nextTickMs;
    private IEpollHandler?[] _handlers = new IEpollHandler?[256];
    private uint[] _generations = new uint[256];
    private int _used;
    private int _wakePending;
    private volatile bool _stopping;

    public EpollLoop(string name, ILogger logger)
    {
        _logger = logger;
        _epoll = LinuxSockets.EpollCreate();
        _wake = LinuxSockets.EventFdCreate();
        if (LinuxSockets.EpollAdd(_epoll, _wake, LinuxSockets.EpollIn, WakeToken) != 0)
        {
            throw new IOException("epoll_ctl could not register the loop's eventfd");
        }

        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// The loop's receive buffer: handlers read into it and keep only an incomplete frame's bytes for themselves, so
    /// an idle socket holds no buffer. Only valid on the loop thread, during <see cref="IEpollHandler.OnEvents"/>.
    /// </summary>
    public byte[] ReceiveBuffer { get; } = GC.AllocateUninitializedArray<byte>(64 * 1024);

    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Registers <paramref name="fd"/> (loop thread only); the token names it in later calls.</summary>
    public ulong Register(int fd, IEpollHandler handler, uint events)
    {
        var slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _used++;
        if (slot == _handlers.Length)
        {
            Array.Resize(ref _handlers, slot * 2);
            Array.Resize(ref _generations, slot * 2);
        }

        var token = ((ulong)_generations[slot] << 32) | (uint)slot;
        _handlers[slot] = handler;
        var error = LinuxSockets.EpollAdd(_epoll, fd, events, token);
        if (error != 0)
        {
            Free(slot);
            throw new IOException($"epoll_ctl(ADD) failed: errno {-error}");
        }

        return token;
    }

    /// <summary>Gives a registered descriptor's events to another handler (loop thread only): a claimed socket after its handshake.</summary>
    public void Replace(ulong token, IEpollHandler handler)
    {
        var slot = (int)(uint)token;
        if (_generations[slot] == (uint)(token >> 32))
        {
            _handlers[slot] = handler;
        }
    }

    /// <summary>Unregisters (loop thread only); no event for it is delivered afterwards, not even one already waiting.</summary>
    public void Unregister(ulong token, int fd)
    {
        var slot = (int)(uint)token;
        if (_generations[slot] != (uint)(token >> 32) || _handlers[slot] is null)
        {
            return;
        }

        LinuxSockets.EpollRemove(_epoll, fd);
        Free(slot);
    }

    /// <summary>
    /// Checks <paramref name="item"/>'s deadline about once a second until it says it is done (loop thread only). Sockets
    /// in their handshake are watched this way: one list scan per second instead of a timer per connection.
    /// </summary>
    public void Watch(IEpollDeadline item)
    {
        if (_watched.Count == 0)
        {
            _nextTickMs = Environment.TickCount64 + TickMs;
        }

        _watched.Add(item);
    }

    /// <summary>Runs <paramref name="work"/> on the loop thread, after the events in hand.</summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            LinuxSockets.EventFdSignal(_wake);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        LinuxSockets.EventFdSignal(_wake);
        if (!IsLoopThread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void Free(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
    }

    private void Run()
    {
        var events = new LinuxSockets.EpollEvent[MaxEventsPerWait];
        try
        {
            while (!_stopping)
            {
                var timeout = _watched.Count == 0 ? -1 : (int)Math.Clamp(_nextTickMs - Environment.TickCount64, 0, TickMs);
                var count = LinuxSockets.EpollWait(_epoll, events, timeout);
                for (var i = 0; i < count; i++)
                {
                    Dispatch(events[i]);
                }

                RunPosted();
                Tick();
            }
        }
        catch (Exception ex)
        {
            Log.EpollLoopFailed(_logger, ex); // epoll_wait itself failed: nothing on this loop can make progress
        }
        finally
        {
            LinuxSockets.Close(_wake);
            LinuxSockets.Close(_epoll);
        }
    }

    private void Dispatch(in LinuxSockets.EpollEvent ev)
    {
        if (ev.Data == WakeToken)
        {
            Volatile.Write(ref _wakePending, 0);
            LinuxSockets.EventFdDrain(_wake);
            return;
        }

        var slot = (int)(uint)ev.Data;
        if (slot >= _used || _generations[slot] != (uint)(ev.Data >> 32) || _handlers[slot] is not { } handler)
        {
            return; // unregistered earlier in this batch
        }

        try
        {
            handler.OnEvents(ev.Events);
        }
        catch (Exception ex)
        {
            Log.EpollHandlerFailed(_logger, ex);
        }
    }

    private void Tick()
    {
        var now = Environment.TickCount64;
        if (_watched.Count == 0 || now < _nextTickMs)
        {
            return;
        }

        _nextTickMs = now + TickMs;
        _watched.RemoveAll(item =>
        {
            try
            {
                return item.OnTick(now);
            }
            catch (Exception ex)
            {
                Log.EpollHandlerFailed(_logger, ex);
                return true;
            }
        });
    }

    /// <summary>Runs the work posted before this turn; work posted meanwhile waits for the next (after the next epoll_wait).</summary>
    private void RunPosted()
    {
        for (var queued = _posted.Count; queued > 0 && _posted.TryDequeue(out var work); queued--)
        {
            try
            {
                work();
            }
            catch (Exception ex)
            {
                Log.EpollHandlerFailed(_logger, ex);
            }
        }
    }
}
