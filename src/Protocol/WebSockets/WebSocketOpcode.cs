namespace MadBase.Protocol.WebSockets;

/// <summary>
/// RFC 6455 §5.2 frame opcodes; each value is the 4-bit wire value in the low nibble of the first header byte.
/// 0x3–0x7 (reserved data) and 0xB–0xF (reserved control) are not members: the decoder rejects them.
/// </summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}
