namespace MadBase.Load.Realtime;

/// <summary>
/// Pulls integer members out of messages whose shape the driver itself chose, without a JSON parser: the receive
/// thread handles up to millions of frames per second and a full parse would cost more than the server's send.
/// </summary>
internal static class JsonScan
{
    /// <summary>
    /// Finds <paramref name="key"/> (a quoted name with its colon, e.g. <c>"ts":</c>) and parses the non-negative
    /// integer after it, skipping padding spaces. Returns the index just past the number, or -1.
    /// </summary>
    public static int TryReadLong(ReadOnlySpan<byte> json, ReadOnlySpan<byte> key, out long value)
    {
        value = 0;
        int at = json.IndexOf(key);
        if (at < 0)
        {
            return -1;
        }

        int i = at + key.Length;
        while (i < json.Length && json[i] == (byte)' ')
        {
            i++;
        }

        int start = i;
        long v = 0;
        while (i < json.Length && (uint)(json[i] - '0') <= 9)
        {
            v = (v * 10) + (json[i] - '0');
            i++;
        }

        if (i == start)
        {
            return -1;
        }

        value = v;
        return i;
    }
}
