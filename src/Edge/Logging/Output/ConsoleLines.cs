using System.Collections.Concurrent;
using System.Text;

namespace MadBase.Edge.Logging.Output;

/// <summary>
/// Where log lines go: standard output, written by a thread-pool work item in batches (one <c>write</c> per batch), so
/// a request that logs does not wait for the terminal or the container runtime's pipe. At most <see cref="Capacity"/>
/// lines wait; beyond that (stdout slower than the lines come) the caller writes the queue and its own line itself,
/// in order, so nothing is dropped and the backlog stays bounded, as with Microsoft's console logger and its blocking
/// queue (but without that logger's dedicated thread, which an idle server would keep).
/// </summary>
internal sealed class ConsoleLines : IThreadPoolWorkItem, IDisposable
{
    public const int Capacity = 1024;

    private readonly ConcurrentQueue<string> _queue = new();
    private readonly Lock _sync = new();
    private readonly Stream _output;
    private byte[] _bytes = new byte[4096];
    private int _queued; // lines in _queue, and callers about to add one
    private int _scheduled; // 1 while a drain is queued to the thread pool or running
    private volatile bool _disposed;

    public ConsoleLines(Stream output) => _output = output;

    /// <summary>Queues one line (with its line end); writes it and everything queued before it when the queue is full.</summary>
    public void Write(string line)
    {
        if (_disposed || Interlocked.Increment(ref _queued) > Capacity)
        {
            lock (_sync)
            {
                WriteQueued();
                WriteOut(line);
            }

            if (!_disposed)
            {
                Interlocked.Decrement(ref _queued);
            }

            return;
        }

        _queue.Enqueue(line);
        ScheduleDrain();
    }

    /// <summary>Writes what is still queued (the shutdown's last lines); later lines are written by their callers.</summary>
    public void Dispose()
    {
        _disposed = true;
        lock (_sync)
        {
            WriteQueued();
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        lock (_sync)
        {
            WriteQueued();
        }

        Volatile.Write(ref _scheduled, 0);
        if (!_queue.IsEmpty)
        {
            ScheduleDrain(); // lines queued after the last read, whose writers saw this drain still scheduled
        }
    }

    private void ScheduleDrain()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Everything queued, as one write. Called under <see cref="_sync"/>.</summary>
    private void WriteQueued()
    {
        var length = 0;
        while (_queue.TryDequeue(out var line))
        {
            Interlocked.Decrement(ref _queued);
            length = Append(line, length);
        }

        Flush(length);
    }

    private void WriteOut(string line) => Flush(Append(line, 0));

    private int Append(string line, int length)
    {
        var needed = length + Encoding.UTF8.GetMaxByteCount(line.Length);
        if (needed > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(needed, _bytes.Length * 2));
        }

        return length + Encoding.UTF8.GetBytes(line, _bytes.AsSpan(length));
    }

    private void Flush(int length)
    {
        if (length == 0)
        {
            return;
        }

        try
        {
            _output.Write(_bytes, 0, length);
            _output.Flush();
        }
        catch (IOException)
        {
            // stdout closed (its reader went away): logging must not take the server down
        }

        if (_bytes.Length > 64 * 1024)
        {
            _bytes = new byte[4096]; // a burst of long lines (stack traces) does not keep its buffer
        }
    }
}
