using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace MadBase.Protocol.Phoenix;

//  vsn 2.0.0 text frame (JSON array, 5 elements; upstream tolerates extra trailing elements):
//    [join_ref, ref, topic, event, payload]
//    ["6","7","realtime:room1","broadcast",{...}]     join_ref/ref: string | null; topic/event: string
//
//  vsn 1.0.0 text frame (JSON object, any member order; unknown members ignored):
//    {"topic":"phoenix","event":"heartbeat","payload":{},"ref":"11"}            join_ref optional
//
//  payload: any JSON value, kept as the exact input bytes.

/// <summary>
/// Parses client text frames (docs/protocol/realtime.md §Text frames). The input is one complete WebSocket text
/// message, already validated as UTF-8 by the frame layer, so there is no "incomplete" outcome: it parses or throws
/// <see cref="ProtocolException"/> with a <see cref="PhoenixError"/>.
/// </summary>
internal static class PhoenixSerializer
{
    /// <summary>Cap on topic, event, join_ref and ref, in bytes as sent (realtime-js: refs ≤ 255; binary frames: 255).</summary>
    public const int MaxFieldLength = 255;

    private static readonly JsonReaderOptions s_options = new()
    {
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        MaxDepth = 64,
    };

    /// <summary>Parses one message; the result is a view of <paramref name="utf8"/>.</summary>
    public static PhoenixMessage Parse(ReadOnlySpan<byte> utf8, PhoenixVersion version)
    {
        var reader = new Utf8JsonReader(utf8, s_options);
        try
        {
            if (!reader.Read())
            {
                Fail(PhoenixError.InvalidJson, "Empty frame.");
            }

            PhoenixMessage message = version == PhoenixVersion.V2
                ? ParseArray(ref reader, utf8)
                : ParseObject(ref reader, utf8);

            // The top-level value is closed; a further token (or garbage, which throws JsonException) is invalid.
            if (reader.Read())
            {
                Fail(PhoenixError.InvalidJson, "Trailing data after the message.");
            }

            return message;
        }
        catch (JsonException ex)
        {
            throw ProtocolException.Create(PhoenixError.InvalidJson, "Malformed JSON: " + ex.Message);
        }
    }

    private static PhoenixMessage ParseArray(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            Fail(PhoenixError.InvalidShape, "vsn 2.0.0 messages are JSON arrays.");
        }

        NextElement(ref reader);
        PhoenixString joinRef = ReadString(ref reader, utf8, allowNull: true, PhoenixError.InvalidJoinRef);
        NextElement(ref reader);
        PhoenixString @ref = ReadString(ref reader, utf8, allowNull: true, PhoenixError.InvalidRef);
        NextElement(ref reader);
        PhoenixString topic = ReadString(ref reader, utf8, allowNull: false, PhoenixError.InvalidTopic);
        NextElement(ref reader);
        PhoenixString @event = ReadString(ref reader, utf8, allowNull: false, PhoenixError.InvalidEvent);
        NextElement(ref reader);
        ReadOnlySpan<byte> payload = ReadValue(ref reader, utf8);

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
        }

        return new PhoenixMessage(joinRef, @ref, topic, @event, payload);
    }

    private static PhoenixMessage ParseObject(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            Fail(PhoenixError.InvalidShape, "vsn 1.0.0 messages are JSON objects.");
        }

        PhoenixString joinRef = default, @ref = default, topic = default, @event = default;
        ReadOnlySpan<byte> payload = default;
        Members seen = Members.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            Members member = reader.ValueTextEquals("topic"u8) ? Members.Topic
                : reader.ValueTextEquals("event"u8) ? Members.Event
                : reader.ValueTextEquals("payload"u8) ? Members.Payload
                : reader.ValueTextEquals("ref"u8) ? Members.Ref
                : reader.ValueTextEquals("join_ref"u8) ? Members.JoinRef
                : Members.None;
            reader.Read();
            if (member == Members.None)
            {
                reader.Skip();
                continue;
            }

            if ((seen & member) != 0)
            {
                Fail(PhoenixError.DuplicateMember, "Member appears twice.");
            }

            seen |= member;
            switch (member)
            {
                case Members.Topic:
                    topic = ReadString(ref reader, utf8, allowNull: false, PhoenixError.InvalidTopic);
                    break;
                case Members.Event:
                    @event = ReadString(ref reader, utf8, allowNull: false, PhoenixError.InvalidEvent);
                    break;
                case Members.Ref:
                    @ref = ReadString(ref reader, utf8, allowNull: true, PhoenixError.InvalidRef);
                    break;
                case Members.JoinRef:
                    joinRef = ReadString(ref reader, utf8, allowNull: true, PhoenixError.InvalidJoinRef);
                    break;
                default:
                    payload = ReadValue(ref reader, utf8);
                    break;
            }
        }

        if ((seen & Members.Topic) == 0)
        {
            Fail(PhoenixError.InvalidTopic, "Missing topic.");
        }

        if ((seen & Members.Event) == 0)
        {
            Fail(PhoenixError.InvalidEvent, "Missing event.");
        }

        if ((seen & Members.Payload) == 0)
        {
            Fail(PhoenixError.MissingPayload, "Missing payload.");
        }

        return new PhoenixMessage(joinRef, @ref, topic, @event, payload);
    }

    private static void NextElement(scoped ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            Fail(PhoenixError.WrongArity, "vsn 2.0.0 messages have 5 elements.");
        }
    }

    private static PhoenixString ReadString(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8, bool allowNull, PhoenixError wrongType)
    {
        if (reader.TokenType == JsonTokenType.Null && allowNull)
        {
            return default;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            Fail(wrongType, allowNull ? "Expected a string or null." : "Expected a string.");
        }

        // Single-span input: ValueSpan is the raw (still escaped) content between the quotes.
        int rawLength = reader.ValueSpan.Length;
        if (rawLength > MaxFieldLength)
        {
            Fail(PhoenixError.FieldTooLong, "String field exceeds 255 bytes.");
        }

        // An escape may decode to something that is not text (a lone surrogate "\ud800"): refuse it here, so the
        // Edge's later unescaping (CopyString, GetString) of an accepted field cannot throw (found by fuzzing).
        if (reader.ValueIsEscaped)
        {
            Span<byte> unescaped = stackalloc byte[MaxFieldLength];
            try
            {
                reader.CopyString(unescaped);
            }
            catch (InvalidOperationException)
            {
                Fail(wrongType, "String field has an escape that is not valid Unicode.");
            }
        }

        int start = checked((int)reader.TokenStartIndex);
        return new PhoenixString(utf8.Slice(start, rawLength + 2), reader.ValueIsEscaped);
    }

    private static ReadOnlySpan<byte> ReadValue(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> utf8)
    {
        int start = checked((int)reader.TokenStartIndex);
        reader.Skip(); // no-op for scalars; moves to the matching end token for objects and arrays
        int end = checked((int)reader.BytesConsumed);
        return utf8[start..end];
    }

    [DoesNotReturn]
    [StackTraceHidden]
    private static void Fail(PhoenixError reason, string message) => ProtocolException.Throw(reason, message);

    [Flags]
    private enum Members
    {
        None = 0,
        Topic = 1,
        Event = 2,
        Payload = 4,
        Ref = 8,
        JoinRef = 16,
    }
}
