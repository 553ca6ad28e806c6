using System.Globalization;
using System.Text;

namespace MadBase.Edge.StorageApi.Sendfile;

/// <summary>
/// <c>Date: …\r\n\r\n</c>, the end of every sendfile response head: made once a second and shared by every loop (Kestrel
/// keeps its Date header the same way, refreshed by its heartbeat).
/// </summary>
internal static class DateLine
{
    private static Stamp s_current = new(-1, []);

    public static byte[] Current()
    {
        var stamp = Volatile.Read(ref s_current);
        var now = DateTimeOffset.UtcNow;
        var second = now.ToUnixTimeSeconds();
        if (stamp.Second == second)
        {
            return stamp.Line;
        }

        var line = Encoding.ASCII.GetBytes("Date: " + now.ToString("R", CultureInfo.InvariantCulture) + "\r\n\r\n");
        Volatile.Write(ref s_current, new Stamp(second, line));
        return line;
    }

    private sealed record Stamp(long Second, byte[] Line);
}
