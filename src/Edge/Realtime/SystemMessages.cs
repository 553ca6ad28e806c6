namespace MadBase.Edge.Realtime;

/// <summary>
/// The server's <c>system</c> messages on a channel (docs/protocol/realtime.md §System messages: extension, status, message, channel):
/// how a client is told of what it cannot be served — a refused binding, missed changes, dropped broadcasts.
/// </summary>
internal static class SystemMessages
{
    public static byte[] For(RealtimeChannel channel, string extension, bool ok, string message)
    {
        var payload = PhoenixFrames.Json((extension, ok, message, channel.Name), static (json, s) =>
        {
            json.WriteStartObject();
            json.WriteString("extension", s.extension);
            json.WriteString("status", s.ok ? "ok" : "error");
            json.WriteString("message", s.message);
            json.WriteString("channel", s.Name);
            json.WriteEndObject();
        });
        return PhoenixFrames.Message(channel.Version, channel.JoinRef, null, channel.Topic, "system", payload);
    }
}
