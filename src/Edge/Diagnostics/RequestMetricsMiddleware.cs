namespace MadBase.Edge.Diagnostics;

/// <summary>Counts requests by status class and tracks requests in flight; logs unhandled errors once.</summary>
internal sealed class RequestMetricsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger _logger;
    private readonly Counter[] _byStatusClass;
    private long _inFlight;

    public RequestMetricsMiddleware(RequestDelegate next, EdgeMetrics metrics, ILoggerFactory loggers)
    {
        _next = next;
        _logger = loggers.CreateLogger("MadBase.Edge.Diagnostics.RequestMetricsMiddleware");
        _byStatusClass = new Counter[6];
        for (var i = 1; i <= 5; i++)
        {
            _byStatusClass[i] = metrics.Counter("madbase_http_requests_total", "HTTP requests completed, by status class.", $"code=\"{i}xx\"");
        }

        metrics.Gauge("madbase_http_requests_in_flight", "HTTP requests being served.", () => Interlocked.Read(ref _inFlight));
    }

    public async Task InvokeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await _next(context);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            Log.UnhandledRequestError(_logger, ex, context.Request.Method, context.Request.Path);
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            }
            else
            {
                context.Abort();
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            var statusClass = context.Response.StatusCode / 100;
            if (statusClass is >= 1 and <= 5)
            {
                _byStatusClass[statusClass].Increment();
            }
        }
    }
}
