namespace MadBase.Protocol.WebSockets;

/// <summary>A decoded RFC 6455 frame header (everything before the payload).</summary>
internal readonly struct WebSocketFrameHeader
{
    public WebSocketFrameHeader(bool fin, byte reservedBits, WebSocketOpcode opcode, bool masked, uint maskKey, long payloadLength)
    {
        Fin = fin;
        ReservedBits = reservedBits;
        Opcode = opcode;
        Masked = masked;
        MaskKey = maskKey;
        PayloadLength = payloadLength;
    }

    /// <summary>FIN: this is the final fragment of a message (always true for control frames).</summary>
    public bool Fin { get; }

    /// <summary>RSV1..RSV3 in bits 2..0 (RSV1 = 0b100). Always 0 from the decoder: no extensions are negotiated.</summary>
    public byte ReservedBits { get; }

    public WebSocketOpcode Opcode { get; }

    public bool Masked { get; }

    /// <summary>
    /// The masking key as the four wire bytes read big-endian (wire <c>37 fa 21 3d</c> is <c>0x37FA213D</c>);
    /// 0 when <see cref="Masked"/> is false. Pass it to <see cref="WebSocketMask.Apply(Span{byte}, uint, int)"/>.
    /// </summary>
    public uint MaskKey { get; }

    /// <summary>Payload length in bytes, 0..2^63-1 and never above the decoder's maxPayload.</summary>
    public long PayloadLength { get; }

    /// <summary>Close, Ping and Pong (opcodes with the high bit set, §5.5).</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;
}
