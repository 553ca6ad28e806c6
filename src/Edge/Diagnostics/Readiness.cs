namespace MadBase.Edge.Diagnostics;

/// <summary>
/// What <c>GET /ready</c> reports. Areas register named checks (database, migrations, replication slot); the
/// server is ready only when all pass.
/// </summary>
internal sealed class Readiness
{
    private readonly List<(string Name, Func<CancellationToken, ValueTask<ReadinessResult>> Check)> _checks = [];

    public void Add(string name, Func<CancellationToken, ValueTask<ReadinessResult>> check)
    {
        lock (_checks)
        {
            _checks.Add((name, check));
        }
    }

    public async Task<IReadOnlyList<(string Name, ReadinessResult Result)>> RunAsync(CancellationToken cancellationToken)
    {
        (string Name, Func<CancellationToken, ValueTask<ReadinessResult>> Check)[] checks;
        lock (_checks)
        {
            checks = [.. _checks];
        }

        var results = new List<(string, ReadinessResult)>(checks.Length);
        foreach (var (name, check) in checks)
        {
            ReadinessResult result;
            try
            {
                result = await check(cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                result = ReadinessResult.Fail(ex.Message);
            }

            results.Add((name, result));
        }

        return results;
    }
}

internal readonly record struct ReadinessResult(bool Ok, string Detail)
{
    public static ReadinessResult Pass(string detail = "ok") => new(true, detail);

    public static ReadinessResult Fail(string detail) => new(false, detail);
}
