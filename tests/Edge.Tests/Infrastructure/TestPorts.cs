namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Fixed, unique ports below 32768 (the ephemeral range starts there, and load runs' client sockets take those).
/// The test run owns 21000–28999.
/// </summary>
internal static class TestPorts
{
    // MADBASE_TEST_PORT_BASE lets parallel test runs on one machine (several worktrees) use disjoint ports.
    private static int s_next = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_PORT_BASE"), out var port) ? port : 21000;

    public static int Next()
    {
        var port = Interlocked.Increment(ref s_next);
        return port < 29000 ? port : throw new InvalidOperationException("test port range exhausted");
    }
}
