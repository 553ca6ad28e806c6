namespace MadBase.Protocol.Phoenix;

/// <summary>A decoded kind-4 frame (what clients receive); used by the load driver and tests.</summary>
internal readonly ref struct PhoenixBroadcast
{
    public PhoenixBroadcast(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, ReadOnlySpan<byte> payload)
    {
        Topic = topic;
        Event = @event;
        Metadata = metadata;
        Encoding = encoding;
        Payload = payload;
    }

    public ReadOnlySpan<byte> Topic { get; }

    public ReadOnlySpan<byte> Event { get; }

    public ReadOnlySpan<byte> Metadata { get; }

    public PhoenixPayloadEncoding Encoding { get; }

    public ReadOnlySpan<byte> Payload { get; }
}
