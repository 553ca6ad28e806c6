namespace MadBase.Protocol.Phoenix;

/// <summary>A decoded kind-3 frame. Every span is a slice of the received message; nothing is copied.</summary>
internal readonly ref struct PhoenixBroadcastPush
{
    public PhoenixBroadcastPush(
        ReadOnlySpan<byte> joinRef,
        ReadOnlySpan<byte> @ref,
        ReadOnlySpan<byte> topic,
        ReadOnlySpan<byte> @event,
        ReadOnlySpan<byte> metadata,
        PhoenixPayloadEncoding encoding,
        ReadOnlySpan<byte> payload)
    {
        JoinRef = joinRef;
        Ref = @ref;
        Topic = topic;
        Event = @event;
        Metadata = metadata;
        Encoding = encoding;
        Payload = payload;
    }

    /// <summary>Raw bytes of the join_ref (realtime-js sends ASCII digits); empty if absent.</summary>
    public ReadOnlySpan<byte> JoinRef { get; }

    /// <summary>Raw bytes of the push ref, for the ack reply; empty if absent.</summary>
    public ReadOnlySpan<byte> Ref { get; }

    /// <summary>
    /// Topic bytes as sent. Not UTF-8-checked: clients up to 2.110.3 mangle non-ASCII names, and such a topic is
    /// simply unmatched (docs/protocol/realtime.md §Binary frames).
    /// </summary>
    public ReadOnlySpan<byte> Topic { get; }

    /// <summary>User event name bytes as sent.</summary>
    public ReadOnlySpan<byte> Event { get; }

    /// <summary>JSON metadata, empty for stock clients; validated as one JSON value when present.</summary>
    public ReadOnlySpan<byte> Metadata { get; }

    public PhoenixPayloadEncoding Encoding { get; }

    /// <summary>The rest of the frame; validated as one UTF-8 JSON value when <see cref="Encoding"/> is Json.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}
