namespace MadBase.Edge.Tests.Realtime.Conformance;

/// <summary>
/// The WebSocket conformance suite: one row per Autobahn|Testsuite case (groups 1-7, 9, 10), against the published
/// binary on <c>/realtime/v1/websocket</c> over raw sockets. The report table is docs/protocol/websocket-conformance.md.
/// </summary>
public sealed class WebSocketConformanceTests(ConformanceServerFixture fixture) : IClassFixture<ConformanceServerFixture>
{
    /// <summary>Every case, or those whose id starts with one of MADBASE_TEST_AUTOBAHN_CASES (e.g. "6.4.,7.").</summary>
    public static TheoryData<string> CaseIds =>
        [.. AutobahnCases.All.Keys.Where(id => Environment.GetEnvironmentVariable("MADBASE_TEST_AUTOBAHN_CASES") is not { Length: > 0 } only
            || only.Split(',').Any(prefix => id.StartsWith(prefix, StringComparison.Ordinal)))];

    [Theory]
    [MemberData(nameof(CaseIds))]
    public async Task Autobahn_Case_HasExpectedOutcome(string id)
    {
        var @case = AutobahnCases.All[id];
        var started = System.Diagnostics.Stopwatch.StartNew();
        await @case.Run(fixture.Server.Edge.Port);

        // MADBASE_TEST_AUTOBAHN_REPORT=FILE appends a row per passed case (how the docs' report table was made).
        if (Environment.GetEnvironmentVariable("MADBASE_TEST_AUTOBAHN_REPORT") is { Length: > 0 } report)
        {
            await File.AppendAllTextAsync(report, $"{id}\t{@case.Description}\t{@case.Expected}\t{started.ElapsedMilliseconds}\n");
        }
    }
}
