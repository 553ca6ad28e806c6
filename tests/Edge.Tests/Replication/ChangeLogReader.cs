using System.Text.Json;

namespace MadBase.Edge.Tests.Replication;

/// <summary>Reads the server's durable change log (<c>MADBASE_CHANGE_LOG</c>): change lines and commit lines.</summary>
internal static class ChangeLogReader
{
    public sealed record Entry(ulong EndLsn, JsonElement Data);

    public static List<Entry> ReadCommitted(string path)
    {
        var entries = new List<Entry>();
        var pending = new List<Entry>();
        if (!File.Exists(path))
        {
            return entries;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            JsonElement root;
            try
            {
                root = JsonDocument.Parse(line).RootElement.Clone();
            }
            catch (JsonException)
            {
                break; // A line being written right now.
            }

            if (root.TryGetProperty("commit", out _))
            {
                entries.AddRange(pending);
                pending.Clear();
            }
            else
            {
                pending.Add(new Entry(root.GetProperty("end_lsn").GetUInt64(), root.GetProperty("data")));
            }
        }

        return entries;
    }
}
