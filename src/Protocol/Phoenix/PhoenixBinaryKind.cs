namespace MadBase.Protocol.Phoenix;

/// <summary>
/// First byte of a vsn 2.0.0 binary frame. Kinds 0–2 (push, reply, broadcast with binary payloads) exist in
/// Phoenix but realtime-js throws on them, so the server never sends them and only kinds 3 and 4 are coded here.
/// </summary>
internal enum PhoenixBinaryKind : byte
{
    /// <summary>
    /// Client → server <c>channel.send({type:'broadcast'})</c> (docs/protocol/realtime.md §Binary frames, kind 3).
    /// </summary>
    UserBroadcastPush = 3,

    /// <summary>Server → client broadcast delivery (docs/protocol/realtime.md §Binary frames, kind 4).</summary>
    UserBroadcast = 4,
}
