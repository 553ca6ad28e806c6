namespace MadBase.Edge.Diagnostics;

/// <summary>
/// <c>madbase_http_requests_total</c> by status class and <c>madbase_http_requests_in_flight</c>: one set for every
/// road that answers HTTP, Kestrel's (<see cref="RequestMetricsMiddleware"/>) and the epoll loops' sendfile downloads.
/// </summary>
internal sealed class HttpRequestCounters
{
    private readonly Counter[] _byStatusClass = new Counter[6];
    private long _inFlight;

    public HttpRequestCounters(EdgeMetrics metrics)
    {
        for (var i = 1; i <= 5; i++)
        {
            _byStatusClass[i] = metrics.Counter("madbase_http_requests_total", "HTTP requests completed, by status class.", $"code=\"{i}xx\"");
        }

        metrics.Gauge("madbase_http_requests_in_flight", "HTTP requests being served.", () => Interlocked.Read(ref _inFlight));
    }

    public void Started() => Interlocked.Increment(ref _inFlight);

    /// <summary>A request started with <see cref="Started"/> ended with <paramref name="statusCode"/>.</summary>
    public void Completed(int statusCode)
    {
        Interlocked.Decrement(ref _inFlight);
        var statusClass = statusCode / 100;
        if (statusClass is >= 1 and <= 5)
        {
            _byStatusClass[statusClass].Increment();
        }
    }
}
