using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Unicode;

namespace MadBase.Protocol.Phoenix;

//  vsn 2.0.0 binary frames (docs/protocol/realtime.md §Binary frames); every length is one unsigned byte, so each field
//  is ≤ 255 bytes.
//
//  Kind 3 USER_BROADCAST_PUSH, client → server, 7-byte header:
//  +------+--------+---------+-----------+-----------+----------+----------+
//  | 0x03 | jr len | ref len | topic len | event len | meta len | encoding |  jr | ref | topic | event | meta | payload…
//  +------+--------+---------+-----------+-----------+----------+----------+
//     0       1         2          3           4           5          6
//
//  Kind 4 USER_BROADCAST, server → client, 5-byte header:
//  +------+-----------+-----------+----------+----------+
//  | 0x04 | topic len | event len | meta len | encoding |  topic | event | meta | payload…
//  +------+-----------+-----------+----------+----------+
//
//  encoding: 0 raw bytes, 1 JSON. The payload runs to the end of the WebSocket message.

/// <summary>Decodes kind-3 pushes and encodes kind-4 broadcasts, forwarding payload bytes untouched.</summary>
internal static class PhoenixBinary
{
    /// <summary>1 kind + 5 lengths + 1 encoding.</summary>
    public const int PushHeaderLength = 7;

    /// <summary>1 kind + 3 lengths + 1 encoding.</summary>
    public const int BroadcastHeaderLength = 5;

    /// <summary>Largest topic, event or metadata: a one-byte length.</summary>
    public const int MaxFieldLength = byte.MaxValue;

    /// <summary>
    /// Decodes a kind-3 frame (one complete binary WebSocket message). JSON payloads and metadata are checked to be
    /// exactly one UTF-8 JSON value, because the Edge forwards them verbatim to other clients whose
    /// <c>JSON.parse</c> would otherwise throw.
    /// </summary>
    public static PhoenixBroadcastPush ParseUserBroadcastPush(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty || frame[0] != (byte)PhoenixBinaryKind.UserBroadcastPush)
        {
            Fail(PhoenixError.UnknownBinaryKind, "Only kind 3 (user broadcast push) is accepted from clients.");
        }

        if (frame.Length < PushHeaderLength)
        {
            Fail(PhoenixError.TruncatedBinary, "Binary frame shorter than its 7-byte header.");
        }

        int at = PushHeaderLength;
        ReadOnlySpan<byte> joinRef = TakeField(frame, ref at, frame[1]);
        ReadOnlySpan<byte> @ref = TakeField(frame, ref at, frame[2]);
        ReadOnlySpan<byte> topic = TakeField(frame, ref at, frame[3]);
        ReadOnlySpan<byte> @event = TakeField(frame, ref at, frame[4]);
        ReadOnlySpan<byte> metadata = TakeField(frame, ref at, frame[5]);
        PhoenixPayloadEncoding encoding = ReadEncoding(frame[6]);
        ReadOnlySpan<byte> payload = frame.Slice(at);
        ValidateJson(metadata, encoding, payload);
        return new PhoenixBroadcastPush(joinRef, @ref, topic, @event, metadata, encoding, payload);
    }

    /// <summary>
    /// The entry point for a binary WebSocket message on a socket of <paramref name="version"/>: vsn 1.0.0 has no
    /// binary serializer (<see cref="PhoenixError.BinaryNotSupported"/>), vsn 2.0.0 accepts only kind 3.
    /// </summary>
    public static PhoenixBroadcastPush ParseUserBroadcastPush(ReadOnlySpan<byte> frame, PhoenixVersion version)
    {
        if (version != PhoenixVersion.V2)
        {
            Fail(PhoenixError.BinaryNotSupported, "Binary frames need vsn 2.0.0.");
        }

        return ParseUserBroadcastPush(frame);
    }

    /// <summary>Decodes a kind-4 frame, as a client would (load driver, tests).</summary>
    public static PhoenixBroadcast ParseUserBroadcast(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty || frame[0] != (byte)PhoenixBinaryKind.UserBroadcast)
        {
            Fail(PhoenixError.UnknownBinaryKind, "Expected kind 4 (user broadcast).");
        }

        if (frame.Length < BroadcastHeaderLength)
        {
            Fail(PhoenixError.TruncatedBinary, "Binary frame shorter than its 5-byte header.");
        }

        int at = BroadcastHeaderLength;
        ReadOnlySpan<byte> topic = TakeField(frame, ref at, frame[1]);
        ReadOnlySpan<byte> @event = TakeField(frame, ref at, frame[2]);
        ReadOnlySpan<byte> metadata = TakeField(frame, ref at, frame[3]);
        PhoenixPayloadEncoding encoding = ReadEncoding(frame[4]);
        return new PhoenixBroadcast(topic, @event, metadata, encoding, frame.Slice(at));
    }

    /// <summary>Bytes before the payload in a kind-4 frame: header + topic + event + metadata.</summary>
    public static int GetUserBroadcastPrefixLength(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata)
    {
        CheckFieldLengths(topic, @event, metadata);
        return BroadcastHeaderLength + topic.Length + @event.Length + metadata.Length;
    }

    /// <summary>
    /// Writes a kind-4 frame up to the payload, so the Edge can follow it with a payload shared by many frames.
    /// </summary>
    /// <returns>Bytes written (<see cref="GetUserBroadcastPrefixLength"/>).</returns>
    public static int WriteUserBroadcastPrefix(
        Span<byte> destination,
        ReadOnlySpan<byte> topic,
        ReadOnlySpan<byte> @event,
        ReadOnlySpan<byte> metadata,
        PhoenixPayloadEncoding encoding)
    {
        int length = GetUserBroadcastPrefixLength(topic, @event, metadata);
        if (destination.Length < length)
        {
            throw new ArgumentException("Destination is too small for the broadcast prefix.", nameof(destination));
        }

        destination[0] = (byte)PhoenixBinaryKind.UserBroadcast;
        destination[1] = (byte)topic.Length;
        destination[2] = (byte)@event.Length;
        destination[3] = (byte)metadata.Length;
        destination[4] = (byte)encoding;
        int at = BroadcastHeaderLength;
        topic.CopyTo(destination.Slice(at));
        at += topic.Length;
        @event.CopyTo(destination.Slice(at));
        at += @event.Length;
        metadata.CopyTo(destination.Slice(at));
        return at + metadata.Length;
    }

    /// <summary>Writes a whole kind-4 frame (the WebSocket binary message body).</summary>
    public static void WriteUserBroadcast(
        IBufferWriter<byte> output,
        ReadOnlySpan<byte> topic,
        ReadOnlySpan<byte> @event,
        ReadOnlySpan<byte> metadata,
        PhoenixPayloadEncoding encoding,
        ReadOnlySpan<byte> payload)
    {
        int prefixLength = GetUserBroadcastPrefixLength(topic, @event, metadata);
        output.Advance(WriteUserBroadcastPrefix(output.GetSpan(prefixLength), topic, @event, metadata, encoding));
        output.Write(payload);
    }

    private static ReadOnlySpan<byte> TakeField(ReadOnlySpan<byte> frame, scoped ref int at, byte length)
    {
        if (frame.Length - at < length)
        {
            Fail(PhoenixError.TruncatedBinary, "Binary frame shorter than the field lengths it announces.");
        }

        ReadOnlySpan<byte> field = frame.Slice(at, length);
        at += length;
        return field;
    }

    private static PhoenixPayloadEncoding ReadEncoding(byte value)
    {
        if (value > (byte)PhoenixPayloadEncoding.Json)
        {
            // Also what a legacy 2.81–2.84 frame (6-byte header, an ASCII join_ref digit here) looks like.
            Fail(PhoenixError.InvalidBinaryEncoding, "Encoding byte must be 0 (raw) or 1 (JSON).");
        }

        return (PhoenixPayloadEncoding)value;
    }

    private static void ValidateJson(ReadOnlySpan<byte> metadata, PhoenixPayloadEncoding encoding, ReadOnlySpan<byte> payload)
    {
        if (!metadata.IsEmpty && !IsSingleJsonValue(metadata))
        {
            Fail(PhoenixError.InvalidJson, "Broadcast metadata is not one JSON value.");
        }

        if (encoding == PhoenixPayloadEncoding.Json && !IsSingleJsonValue(payload))
        {
            Fail(PhoenixError.InvalidJson, "Broadcast payload is not one UTF-8 JSON value.");
        }
    }

    private static bool IsSingleJsonValue(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return false;
        }

        var reader = new Utf8JsonReader(json);
        try
        {
            // Read + Skip consumes one whole value; a second Read finds either the end or a stray token.
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static void CheckFieldLengths(ReadOnlySpan<byte> topic, ReadOnlySpan<byte> @event, ReadOnlySpan<byte> metadata)
    {
        if (topic.Length > MaxFieldLength || @event.Length > MaxFieldLength || metadata.Length > MaxFieldLength)
        {
            throw new ArgumentException("Topic, event and metadata are at most 255 bytes in a binary broadcast.");
        }
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void Fail(PhoenixError reason, string message) => ProtocolException.Throw(reason, message);
}
