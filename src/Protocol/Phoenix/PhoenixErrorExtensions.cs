using MadBase.Protocol.WebSockets;

namespace MadBase.Protocol.Phoenix;

/// <summary>Close code for each <see cref="PhoenixError"/>, when the Edge closes rather than drops.</summary>
internal static class PhoenixErrorExtensions
{
    /// <summary>
    /// 1003 (unsupported data) for binary frames the serializer cannot take at all; 1007 (payload inconsistent with
    /// the message type) for everything that is the right frame type with bad contents.
    /// </summary>
    public static ushort ToCloseStatus(this PhoenixError error) => error switch
    {
        PhoenixError.BinaryNotSupported or PhoenixError.UnknownBinaryKind => WebSocketCloseStatus.UnsupportedData,
        _ => WebSocketCloseStatus.InvalidPayloadData,
    };
}
