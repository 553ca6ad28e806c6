namespace MadBase.Edge.Tests.Hosting;

/// <summary>
/// <c>make charts</c> (scripts/charts.sh → load/charts/report.mjs, vega-lite rendered in Node) on small result files
/// in the formats the load scenarios write: every chart REPORT.md links exists as an SVG that carries the data's
/// own names and the chart titles, and a missing input is said so in the report rather than charted empty.
/// </summary>
public sealed class LoadChartsTests
{
    [Fact]
    public async Task Charts_FromLoadResults_WritesReportAndSvgWithTheData()
    {
        var dir = Path.Combine(TestEnvironment.WorkDir, "charts-" + Guid.NewGuid().ToString("N")[..8]);
        var output = Path.Combine(dir, "out");
        Directory.CreateDirectory(dir);
        var rt = Path.Combine(dir, "results.txt");
        await File.WriteAllLinesAsync(rt,
        [
            "driver noise that is not a result line",
            "RESULT server=madbase-x mode=ramp-step rate=100 p50_ms=2.5 p99_ms=9.5 pass=1",
            "RESULT server=madbase-x mode=ramp-step rate=200 p50_ms=3.5 p99_ms=19 pass=0",
            "RESULT server=peer-y mode=ramp-step rate=100 p50_ms=4 p99_ms=12 pass=1",
            "RESULT server=madbase-x mode=idle subs=1000 rss_kib=40960",
            "RESULT server=madbase-x mode=fanout server_cpu_per_m=3.2 p99_ms=40 dps=9000",
            "RESULT server=peer-y mode=fanout server_cpu_per_m=7.9 p99_ms=80 dps=8000",
        ]);
        var tus = Path.Combine(dir, "results.json");
        await File.WriteAllTextAsync(tus, """
            {"sizeMiB":200,"chunkMiB":8,"runs":3,"pairs":[{"backend":"file","madbase":{"name":"madbase-x","mibPerSecond":240.5,"cpuSecondsPerUpload":0.6,"peakRssMiB":44},"peer":{"name":"tus-peer-y","mibPerSecond":230,"cpuSecondsPerUpload":0.9,"peakRssMiB":80},"reference":{"name":"floor-z","mibPerSecond":400,"cpuSecondsPerUpload":0.2,"peakRssMiB":60}},{"backend":"s3","madbase":{"name":"madbase-x","mibPerSecond":70,"cpuSecondsPerUpload":0.6,"peakRssMiB":55},"peer":{"name":"tus-peer-y","mibPerSecond":50,"cpuSecondsPerUpload":2,"peakRssMiB":110},"reference":{"name":"sdk-w","mibPerSecond":60,"cpuSecondsPerUpload":0}}]}
            """ + "\n");
        var metrics = Path.Combine(dir, "metrics.txt");
        await File.WriteAllTextAsync(metrics, """
            # TYPE madbase_realtime_connections gauge
            madbase_realtime_connections 12
            # TYPE madbase_realtime_deliveries_total counter
            madbase_realtime_deliveries_total{kind="broadcast"} 345
            madbase_replication_last_ack_lsn 123456789

            """);

        var (exit, log) = await RunChartsAsync("--rt", rt, "--tus", tus, "--metrics", metrics, "--out", output);
        Assert.True(exit == 0, log);

        var report = await File.ReadAllTextAsync(Path.Combine(output, "REPORT.md"));
        var linked = System.Text.RegularExpressions.Regex.Matches(report, @"!\[[^\]]*\]\(([^)]+\.svg)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(
            ["realtime-latency-vs-rate.svg", "realtime-rss-vs-connections.svg", "realtime-fanout-cpu.svg", "tus-throughput.svg", "tus-cpu.svg", "tus-rss.svg", "metrics-gauges.svg", "metrics-counters.svg"],
            linked);
        foreach (var file in linked)
        {
            var svg = await File.ReadAllTextAsync(Path.Combine(output, file));
            Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        }

        // The data reached the pictures: series names in legends and axes, not only the frames.
        Assert.Contains("peer-y", await File.ReadAllTextAsync(Path.Combine(output, "realtime-latency-vs-rate.svg")), StringComparison.Ordinal);
        var throughput = await File.ReadAllTextAsync(Path.Combine(output, "tus-throughput.svg"));
        Assert.Contains("tus-peer-y", throughput, StringComparison.Ordinal);
        Assert.Contains("floor-z", throughput, StringComparison.Ordinal); // the reference rows (#16) are charted
        Assert.Contains("sdk-w", throughput, StringComparison.Ordinal);
        var counters = await File.ReadAllTextAsync(Path.Combine(output, "metrics-counters.svg"));
        Assert.Contains("madbase_realtime_deliveries_total{kind=&quot;broadcast&quot;}", counters, StringComparison.Ordinal);
        Assert.DoesNotContain("last_ack_lsn", await File.ReadAllTextAsync(Path.Combine(output, "metrics-gauges.svg")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Charts_ResultsMissing_ReportSaysWhichAndDrawsNothing()
    {
        var dir = Path.Combine(TestEnvironment.WorkDir, "charts-" + Guid.NewGuid().ToString("N")[..8]);
        var output = Path.Combine(dir, "out");
        var (exit, log) = await RunChartsAsync("--rt", Path.Combine(dir, "none.txt"), "--tus", Path.Combine(dir, "none.json"), "--out", output);
        Assert.True(exit == 0, log);

        var report = await File.ReadAllTextAsync(Path.Combine(output, "REPORT.md"));
        Assert.Contains("## Realtime\n\nNo results:", report, StringComparison.Ordinal);
        Assert.Contains("## TUS uploads\n\nNo results:", report, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(output, "*.svg"));
    }

    /// <summary>scripts/charts.sh as <c>make charts</c> runs it (it installs load/charts' npm lock when it changed).</summary>
    private static async Task<(int Exit, string Log)> RunChartsAsync(params string[] arguments)
    {
        var logPath = Path.Combine(TestEnvironment.WorkDir, "charts-" + Guid.NewGuid().ToString("N")[..8] + ".log");
        var exitCode = await BoundedCommand.RunAsync("bash scripts/charts.sh", arguments, logPath, TimeSpan.FromMinutes(5), TestEnvironment.RepositoryRoot);
        return (exitCode, File.ReadAllText(logPath));
    }
}
