namespace MadBase.Edge.Diagnostics;

/// <summary>Counts requests by status class and tracks requests in flight; logs unhandled errors once.</summary>
internal sealed class RequestMetricsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ILogger _logger;
    private readonly HttpRequestCounters _counters;

    public RequestMetricsMiddleware(RequestDelegate next, HttpRequestCounters counters, ILoggerFactory loggers)
    {
        _next = next;
        _counters = counters;
        _logger = loggers.CreateLogger("MadBase.Edge.Diagnostics.RequestMetricsMiddleware");
    }

    public async Task InvokeAsync(HttpContext context)
    {
        _counters.Started();
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
            _counters.Completed(context.Response.StatusCode);
        }
    }
}
