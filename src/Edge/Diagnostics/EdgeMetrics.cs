using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace MadBase.Edge.Diagnostics;

/// <summary>
/// A small Prometheus registry: counters (lock-free increments) and gauges read at scrape time. Areas register
/// their own series; names follow Prometheus conventions (<c>_total</c> for counters, base units).
/// </summary>
internal sealed class EdgeMetrics
{
    private readonly List<Family> _families = [];

    public EdgeMetrics()
    {
        var process = Process.GetCurrentProcess();
        var started = process.StartTime.ToUniversalTime();
        Gauge("process_resident_memory_bytes", "Resident set size.", () => ReadProcStatusKiB("VmRSS:") * 1024.0);
        Gauge("process_peak_resident_memory_bytes", "Peak resident set size.", () => ReadProcStatusKiB("VmHWM:") * 1024.0);
        Gauge("process_cpu_seconds_total", "User and system CPU time.", () =>
        {
            process.Refresh();
            return process.TotalProcessorTime.TotalSeconds;
        });
        Gauge("process_start_time_seconds", "Start time since the Unix epoch.", () => new DateTimeOffset(started).ToUnixTimeMilliseconds() / 1000.0);
        Gauge("process_threads", "OS threads.", () => Process.GetCurrentProcess().Threads.Count);
        Gauge("dotnet_gc_heap_size_bytes", "Managed heap size after the last GC.", () => GC.GetGCMemoryInfo().HeapSizeBytes);
        Gauge("dotnet_gc_allocated_bytes_total", "Bytes allocated since start.", () => GC.GetTotalAllocatedBytes());
        Gauge("dotnet_gc_committed_bytes", "Memory the GC has committed (live, garbage not yet collected, free space).", () => GC.GetGCMemoryInfo().TotalCommittedBytes);
        Gauge("dotnet_gc_fragmented_bytes", "Free space inside the managed heap after the last GC.", () => GC.GetGCMemoryInfo().FragmentedBytes);
        Gauge("dotnet_gc_collections_total", "GC count (all generations).", () => GC.CollectionCount(0));
        Gauge("dotnet_threadpool_threads", "Thread pool threads.", () => ThreadPool.ThreadCount);
        Gauge("dotnet_threadpool_queue_length", "Work items waiting for a thread.", () => ThreadPool.PendingWorkItemCount);
    }

    public Counter Counter(string name, string help, string labels = "")
    {
        var counter = new Counter();
        Add(name, help, "counter", labels, () => counter.Value);
        return counter;
    }

    public void Gauge(string name, string help, Func<double> read, string labels = "") => Add(name, help, "gauge", labels, read);

    /// <summary>Writes every series in the Prometheus text exposition format 0.0.4.</summary>
    public string Render()
    {
        var text = new StringBuilder(4096);
        lock (_families)
        {
            foreach (var family in _families)
            {
                text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n');
                text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
                foreach (var (labels, read) in family.Series)
                {
                    text.Append(family.Name);
                    if (labels.Length > 0)
                    {
                        text.Append('{').Append(labels).Append('}');
                    }

                    text.Append(' ').Append(Format(read())).Append('\n');
                }
            }
        }

        return text.ToString();
    }

    private void Add(string name, string help, string type, string labels, Func<double> read)
    {
        lock (_families)
        {
            var family = _families.Find(f => f.Name == name);
            if (family is null)
            {
                family = new Family(name, help, type);
                _families.Add(family);
            }

            family.Series.Add((labels, read));
        }
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static double ReadProcStatusKiB(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var digits = line.AsSpan(field.Length).Trim();
                    var space = digits.IndexOf(' ');
                    return double.Parse(space < 0 ? digits : digits[..space], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: report NaN rather than a made-up number.
        }

        return double.NaN;
    }

    private sealed record Family(string Name, string Help, string Type)
    {
        public List<(string Labels, Func<double> Read)> Series { get; } = [];
    }
}

/// <summary>A monotonically increasing count.</summary>
internal sealed class Counter
{
    private long _value;

    public double Value => Interlocked.Read(ref _value);

    public void Increment() => Interlocked.Increment(ref _value);

    public void Add(long amount) => Interlocked.Add(ref _value, amount);
}
