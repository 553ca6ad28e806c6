namespace MadBase.Protocol.Phoenix;

/// <summary>Last header byte of binary kinds 3 and 4: how the client should treat the payload bytes.</summary>
internal enum PhoenixPayloadEncoding : byte
{
    /// <summary>Opaque bytes; the client hands them over as an ArrayBuffer. Not deliverable to v1 sockets.</summary>
    Raw = 0,

    /// <summary>UTF-8 JSON; the client parses it.</summary>
    Json = 1,
}
