using System.Globalization;

namespace MadBase.Load.Realtime;

/// <summary>Totals over every client's <see cref="RowTrack"/>, and percentiles of per-client times.</summary>
internal readonly record struct RowReport(long Expected, long Received, long Missing, long Duplicates, long OutOfOrder, long Unexpected, int Complete)
{
    public static RowReport Of(IReadOnlyList<RowTrack> tracks)
    {
        long expected = 0, received = 0, duplicates = 0, outOfOrder = 0, unexpected = 0;
        int complete = 0;
        foreach (RowTrack track in tracks)
        {
            long range = track.LastId - track.FirstId + 1;
            expected += range;
            received += track.Received;
            duplicates += track.Duplicates;
            outOfOrder += track.OutOfOrder;
            unexpected += track.Unexpected;
            complete += track.Received == range ? 1 : 0;
        }

        return new RowReport(expected, received, expected - received, duplicates, outOfOrder, unexpected, complete);
    }

    /// <summary>The pass rule of the row-tracking modes: every row reached every client exactly once, in order.</summary>
    public bool EveryRowOnceInOrder => Missing == 0 && Duplicates == 0 && OutOfOrder == 0;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Complete} clients complete; rows expected {Expected}, received {Received}, missing {Missing}, duplicated {Duplicates}, out of order {OutOfOrder}, unexpected {Unexpected}");

    public string ResultFields() => string.Create(CultureInfo.InvariantCulture,
        $"complete={Complete} expected={Expected} received={Received} missing={Missing} duplicates={Duplicates} out_of_order={OutOfOrder} unexpected={Unexpected}");

    /// <summary>Nearest-rank percentile of <paramref name="sorted"/> (ascending), NaN when empty.</summary>
    public static double Percentile(double[] sorted, double percentile) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>"p50 / p99 / max" of <paramref name="values"/> (ms), and the same as result fields named <paramref name="key"/>.</summary>
    public static (string Text, string Fields) Distribution(string key, IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        double p50 = Percentile(sorted, 50), p99 = Percentile(sorted, 99), max = sorted.Length == 0 ? double.NaN : sorted[^1];
        return (string.Create(CultureInfo.InvariantCulture, $"p50 {p50:F1} ms, p99 {p99:F1} ms, max {max:F1} ms (n={sorted.Length})"),
            string.Create(CultureInfo.InvariantCulture, $"{key}_p50_ms={p50:F1} {key}_p99_ms={p99:F1} {key}_max_ms={max:F1}"));
    }
}
