namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Fixed, unique ports below 32768 (the ephemeral range starts there, and load runs' client sockets take those).
/// The test run owns 21000–28999; <c>MADBASE_TEST_PORT_BASE</c> moves the start so that concurrent runs on one
/// machine (several worktrees) do not answer each other's health probes.
/// </summary>
internal static class TestPorts
{
    private static int s_next = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_PORT_BASE"), out var start) && start is >= 21000 and < 28999
        ? start
        : 21000;

    public static int Next()
    {
        var port = Interlocked.Increment(ref s_next);
        return port < 29000 ? port : throw new InvalidOperationException("test port range exhausted");
    }
}
