namespace MadBase.Edge.Diagnostics;

/// <summary>
/// What <c>GET /ready</c> reports. Areas register named checks (database, migrations, replication slot); the
/// server is ready only when all pass.
/// </summary>
internal sealed class Readiness
{
    private readonly List<Check> _checks = [];

    /// <summary>A check of state the process already holds (migrations applied, slot not invalidated): costs nothing.</summary>
    public void Add(string name, Func<CancellationToken, ValueTask<ReadinessResult>> check) => Add(new Check(name, check, IsProbe: false));

    /// <summary>
    /// A check that asks a dependency (a query to the database). Probes run only once every state check passes: the
    /// answer is "not ready" either way, and a process still starting, polled every few milliseconds, should not spend
    /// a connection on each poll while it migrates. (The state checks carry the reason then: e.g. the migrations'
    /// last error when the database cannot be reached.)
    /// </summary>
    public void AddProbe(string name, Func<CancellationToken, ValueTask<ReadinessResult>> check) => Add(new Check(name, check, IsProbe: true));

    public async Task<IReadOnlyList<(string Name, ReadinessResult Result)>> RunAsync(CancellationToken cancellationToken)
    {
        Check[] checks;
        lock (_checks)
        {
            checks = [.. _checks];
        }

        var results = new (string Name, ReadinessResult Result)[checks.Length];
        string? failing = null;
        for (var i = 0; i < checks.Length; i++)
        {
            if (!checks[i].IsProbe)
            {
                results[i] = (checks[i].Name, await RunAsync(checks[i], cancellationToken));
                failing ??= results[i].Result.Ok ? null : checks[i].Name;
            }
        }

        for (var i = 0; i < checks.Length; i++)
        {
            if (checks[i].IsProbe)
            {
                results[i] = (checks[i].Name, failing is null
                    ? await RunAsync(checks[i], cancellationToken)
                    : ReadinessResult.Fail("not checked while " + failing + " fails"));
            }
        }

        return results;
    }

    private static async ValueTask<ReadinessResult> RunAsync(Check check, CancellationToken cancellationToken)
    {
        try
        {
            return await check.Run(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return ReadinessResult.Fail(ex.Message);
        }
    }

    private void Add(Check check)
    {
        lock (_checks)
        {
            _checks.Add(check);
        }
    }

    private readonly record struct Check(string Name, Func<CancellationToken, ValueTask<ReadinessResult>> Run, bool IsProbe);
}

internal readonly record struct ReadinessResult(bool Ok, string Detail)
{
    public static ReadinessResult Pass(string detail = "ok") => new(true, detail);

    public static ReadinessResult Fail(string detail) => new(false, detail);
}
