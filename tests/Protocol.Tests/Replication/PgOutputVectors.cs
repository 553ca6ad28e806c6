using System.Globalization;

namespace MadBase.Protocol.Tests.Replication;

/// <summary>One captured pgoutput message: its bytes and the "# K lsn=… xid=…" annotation from the capture script.</summary>
internal sealed record CapturedMessage(int Line, byte[] Bytes, string Annotation)
{
    public char Kind => (char)Bytes[0];

    public override string ToString() => $"line {Line}: {Annotation}";
}

/// <summary>Loads the vectors written by scripts/capture-pgoutput.sh (copied to the test output directory).</summary>
internal static class PgOutputVectors
{
    public static IReadOnlyList<CapturedMessage> Load(string fileName)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Vectors", "pgoutput", fileName);
        var messages = new List<CapturedMessage>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var hash = line.IndexOf("  #", StringComparison.Ordinal);
            var hex = hash < 0 ? line : line[..hash];
            var annotation = hash < 0 ? string.Empty : line[(hash + 3)..].Trim();
            messages.Add(new CapturedMessage(lineNumber, Convert.FromHexString(hex.Trim()), annotation));
        }

        return messages;
    }

    /// <summary>The "xid=N" the SQL interface reported for the message's transaction (0 for non-transactional).</summary>
    public static uint SqlXid(CapturedMessage message)
    {
        var at = message.Annotation.LastIndexOf("xid=", StringComparison.Ordinal);
        return uint.Parse(message.Annotation.AsSpan(at + 4), CultureInfo.InvariantCulture);
    }
}
