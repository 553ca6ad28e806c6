using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>CPU time and resident memory of a process, and whole-machine CPU, from /proc.</summary>
internal static class ProcStats
{
    /// <summary>USER_HZ: /proc reports times in clock ticks of 1/100 s on every mainstream Linux build.</summary>
    private const double TicksPerSecond = 100.0;

    /// <summary>utime + stime of <paramref name="pid"/> (all its threads), in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        // Fields after the command name, which may contain spaces and parentheses: split after the last ')'.
        // The text after it starts at field 3 (state), so utime (14) and stime (15) are at indexes 11 and 12.
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>VmRSS of <paramref name="pid"/>, in KiB.</summary>
    public static long RssKiB(int pid) => StatusKiB(pid, "VmRSS:");

    /// <summary>VmHWM (peak resident set since the process started) of <paramref name="pid"/>, in KiB.</summary>
    public static long PeakRssKiB(int pid) => StatusKiB(pid, "VmHWM:");

    private static long StatusKiB(int pid, string field)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"No {field} for process {pid}.");
    }

    /// <summary>Busy and total CPU seconds of the whole machine since boot (first line of /proc/stat).</summary>
    public static (double Busy, double Total) MachineSeconds()
    {
        string[] fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long total = 0;
        for (int i = 1; i < fields.Length; i++)
        {
            total += long.Parse(fields[i], CultureInfo.InvariantCulture);
        }

        // idle (4) and iowait (5) are the not-busy columns.
        long idle = long.Parse(fields[4], CultureInfo.InvariantCulture) + long.Parse(fields[5], CultureInfo.InvariantCulture);
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>
    /// Waits, in 1 s samples, until processes other than <paramref name="target"/>'s and this one use at most
    /// <paramref name="maxOtherPercent"/> of the machine, or <paramref name="budget"/> runs out. Returns the last
    /// sample's share. On a shared box this picks quieter windows for a repeated step without waiting forever.
    /// </summary>
    public static double WaitForQuiet(Target target, double maxOtherPercent, TimeSpan budget)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double other;
        do
        {
            double own0 = target.CpuSeconds() + CpuSeconds(Environment.ProcessId);
            var (busy0, total0) = MachineSeconds();
            Thread.Sleep(1000);
            double own = target.CpuSeconds() + CpuSeconds(Environment.ProcessId) - own0;
            var (busy1, total1) = MachineSeconds();
            other = total1 > total0 ? Math.Max(0, busy1 - busy0 - own) / (total1 - total0) * 100 : 0;
        }
        while (other > maxOtherPercent && clock.Elapsed < budget);

        return other;
    }
}
