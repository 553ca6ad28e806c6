using MadBase.Edge.Diagnostics;
using MadBase.Edge.Json;
using Npgsql;

namespace MadBase.Edge.Hosting;

internal static class HealthEndpoints
{
    private static readonly TimeSpan s_databaseProbeTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealthEndpoints(this WebApplication app)
    {
        var readiness = app.Services.GetRequiredService<Readiness>();
        var dataSource = app.Services.GetRequiredService<NpgsqlDataSource>();
        readiness.AddProbe("database", ct => ProbeDatabaseAsync(dataSource, ct));

        // Alive means the process serves HTTP; it says nothing about dependencies (that is /ready).
        app.MapGet("/health", () => Results.Text("ok\n", "text/plain"));

        // Not a (HttpContext) lambda: that binds as a RequestDelegate and would drop the returned result.
        app.MapGet("/ready", async (CancellationToken cancellationToken) =>
        {
            var results = await readiness.RunAsync(cancellationToken);
            var ok = results.All(r => r.Result.Ok);
            var body = new ReadyResponse(ok ? "ready" : "not_ready", results.ToDictionary(r => r.Name, r => r.Result.Detail));
            return Results.Json(body, EdgeJsonContext.Default.ReadyResponse, statusCode: ok ? 200 : 503);
        });

        var metrics = app.Services.GetRequiredService<EdgeMetrics>();
        app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));
    }

    private static async ValueTask<ReadinessResult> ProbeDatabaseAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_databaseProbeTimeout);
        try
        {
            await using var command = dataSource.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return ReadinessResult.Pass();
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or IOException)
        {
            return ReadinessResult.Fail(timeout.IsCancellationRequested ? "database did not answer within 2 s" : ex.Message);
        }
    }
}
