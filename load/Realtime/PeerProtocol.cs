namespace MadBase.Load.Realtime;

/// <summary>
/// The anchors' minimal broadcast servers: a connection to <c>/sub</c> receives every text message sent to
/// <c>/pub</c>, verbatim: <c>{"topic":"bench","seq":…,"ts":…,"data":"xxx…"}</c>.
/// </summary>
internal sealed class PeerProtocol : ISubscriberProtocol
{
    public string SubscribePath(int client) => "/sub";

    public byte[]? SubscribeFrame => null;

    public byte[]? HeartbeatFrame => null;

    public TickKind Classify(ReadOnlySpan<byte> text, out long seq, out long sentMicros)
    {
        sentMicros = 0;
        int end = JsonScan.TryReadLong(text, "\"seq\":"u8, out seq);
        if (end < 0 || JsonScan.TryReadLong(text.Slice(end), "\"ts\":"u8, out sentMicros) < 0)
        {
            return TickKind.Other;
        }

        return TickKind.Tick;
    }
}
