using System.Net;
using System.Net.Sockets;

namespace MadBase.Edge.Tests.Infrastructure;

/// <summary>
/// Fixed, unique ports below 32768 (the ephemeral range starts there, and load runs' client sockets take those).
/// The test run owns 21000–28999; <c>MADBASE_TEST_PORT_BASE</c> moves the start so that concurrent runs on one
/// machine (several worktrees) do not answer each other's health probes, and a port something else already
/// listens on is skipped.
/// </summary>
internal static class TestPorts
{
    private static int s_next = int.TryParse(Environment.GetEnvironmentVariable("MADBASE_TEST_PORT_BASE"), out var start) && start is >= 21000 and < 28999
        ? start
        : 21000;

    public static int Next()
    {
        while (true)
        {
            var port = Interlocked.Increment(ref s_next);
            if (port >= 29000)
            {
                throw new InvalidOperationException("test port range exhausted");
            }

            if (IsFree(port))
            {
                return port;
            }
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
