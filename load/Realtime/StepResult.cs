using System.Globalization;
using System.Text;

namespace MadBase.Load.Realtime;

/// <summary>
/// One measured publish window plus its drain. CPU and busy figures cover the same window; "others" is machine busy
/// time not spent in the server or the driver (for MadBase that includes PostgreSQL, the rest is other users).
/// </summary>
internal sealed record StepResult(
    double Rate,
    long Subscribers,
    long Published,
    long Expected,
    long Received,
    long Late,
    double P50Ms,
    double P99Ms,
    double MaxMs,
    double DeliveriesPerSecond,
    double ServerCpuSeconds,
    double ClientCpuSeconds,
    double MachineBusyPercent,
    double OtherBusyPercent,
    double MaxLagMs,
    double WindowSeconds,
    int ClosedDuringStep)
{
    public long Missing => Math.Max(0, Expected - Received);

    /// <summary>Server CPU-seconds per million deliveries (= µs of server CPU per delivery).</summary>
    public double ServerCpuPerMillion => Received == 0 ? double.NaN : ServerCpuSeconds / Received * 1e6;

    public double ClientCpuPerMillion => Received == 0 ? double.NaN : ClientCpuSeconds / Received * 1e6;

    /// <summary>The anchors' pass rule for a ramp step: p99 within the limit, nothing missing, publisher on schedule.</summary>
    public bool Passes(double p99LimitMs, double maxLagMs) =>
        Missing == 0 && ClosedDuringStep == 0 && P99Ms <= p99LimitMs && MaxLagMs <= maxLagMs;

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"rate {Rate,7:F0}/s x {Subscribers} subs: {DeliveriesPerSecond,10:F0} deliveries/s, p50 {P50Ms,8:F1} ms, p99 {P99Ms,8:F1} ms, " +
        $"max {MaxMs,8:F1} ms, missing {Missing}, late {Late}, server {ServerCpuPerMillion,6:F2} CPU-s/1M, " +
        $"client {ClientCpuPerMillion,6:F2} CPU-s/1M, machine {MachineBusyPercent:F0}% busy ({OtherBusyPercent:F0}% others), publish lag max {MaxLagMs:F1} ms");

    /// <summary>One <c>key=value</c> line for scripts; keys are stable.</summary>
    public string ToResultLine(string mode, string label, params (string Key, string Value)[] extra)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"RESULT mode={mode} server={label} subs={Subscribers} rate={Rate:F0} published={Published} ");
        line.Append(CultureInfo.InvariantCulture, $"expected={Expected} received={Received} missing={Missing} late={Late} ");
        line.Append(CultureInfo.InvariantCulture, $"p50_ms={P50Ms:F2} p99_ms={P99Ms:F2} max_ms={MaxMs:F2} dps={DeliveriesPerSecond:F0} ");
        line.Append(CultureInfo.InvariantCulture, $"server_cpu_per_m={ServerCpuPerMillion:F3} client_cpu_per_m={ClientCpuPerMillion:F3} ");
        line.Append(CultureInfo.InvariantCulture, $"busy_pct={MachineBusyPercent:F0} other_pct={OtherBusyPercent:F0} lag_ms={MaxLagMs:F1} window_s={WindowSeconds:F2} closed={ClosedDuringStep}");
        foreach (var (key, value) in extra)
        {
            line.Append(' ').Append(key).Append('=').Append(value);
        }

        return line.ToString();
    }
}
