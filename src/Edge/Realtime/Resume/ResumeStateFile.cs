using System.Text.Json;
using MadBase.Edge.Realtime.Delivery;

namespace MadBase.Edge.Realtime.Resume;

/// <summary>
/// The resume window's state on disk (<c>MADBASE_REALTIME_RESUME_STATE</c>), so a kill -9 forgets nothing: the
/// position the router had routed through, and every channel a client may come back for, with its position and
/// expiry. Written whole to a temporary file and renamed over the old one, so a crash leaves the old or the new file,
/// never half of one. Not fsynced: it guards against the process dying, not the machine (see the docs).
/// </summary>
internal static class ResumeStateFile
{
    public sealed record State(ChangePosition RoutedThrough, List<(ResumeKey Key, ChangePosition Position, DateTimeOffset Expires)> Entries);

    /// <summary>The file's bytes for <paramref name="state"/>.</summary>
    public static byte[] Serialize(State state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("version", 1);
            WritePosition(json, "routed", state.RoutedThrough);
            json.WriteStartArray("channels");
            foreach (var (key, position, expires) in state.Entries)
            {
                json.WriteStartObject();
                json.WriteString("role", key.Role);
                json.WriteString("sub", key.Subject);
                json.WriteString("topic", key.Topic);
                json.WriteString("bindings", key.Bindings);
                WritePosition(json, "position", position);
                json.WriteNumber("expires", expires.ToUnixTimeMilliseconds());
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(string path, State state) => Write(path, Serialize(state));

    /// <summary>Replaces the file with <paramref name="bytes"/> (a temporary file renamed over it).</summary>
    public static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The saved state, or null when there is none; a file that cannot be read is reported, not trusted.</summary>
    public static State? Read(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>A state from its bytes (the file's, or another node's in cluster mode).</summary>
    /// <exception cref="JsonException">Not a state's JSON.</exception>
    public static State Parse(ReadOnlySpan<byte> bytes)
    {
        using var document = JsonDocument.Parse(bytes.ToArray());
        var root = document.RootElement;
        var entries = new List<(ResumeKey, ChangePosition, DateTimeOffset)>();
        foreach (var channel in root.GetProperty("channels").EnumerateArray())
        {
            var key = new ResumeKey(
                channel.GetProperty("role").GetString()!,
                channel.GetProperty("sub").GetString()!,
                channel.GetProperty("topic").GetString()!,
                channel.GetProperty("bindings").GetString()!);
            entries.Add((key, ReadPosition(channel.GetProperty("position")), DateTimeOffset.FromUnixTimeMilliseconds(channel.GetProperty("expires").GetInt64())));
        }

        return new State(ReadPosition(root.GetProperty("routed")), entries);
    }

    private static void WritePosition(Utf8JsonWriter json, string name, ChangePosition position)
    {
        json.WriteStartArray(name);
        json.WriteNumberValue(position.CommitLsn);
        json.WriteNumberValue(position.Index);
        json.WriteEndArray();
    }

    private static ChangePosition ReadPosition(JsonElement element) => new(element[0].GetUInt64(), element[1].GetInt32());
}
