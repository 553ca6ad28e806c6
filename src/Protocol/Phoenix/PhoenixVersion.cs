namespace MadBase.Protocol.Phoenix;

/// <summary>Phoenix socket serializer, chosen per connection by the <c>vsn</c> query parameter.</summary>
internal enum PhoenixVersion : byte
{
    /// <summary><c>vsn=1.0.0</c>: one JSON object per text frame; no binary frames.</summary>
    V1 = 1,

    /// <summary><c>vsn=2.0.0</c>: JSON array <c>[join_ref, ref, topic, event, payload]</c> plus binary broadcasts.</summary>
    V2 = 2,
}
