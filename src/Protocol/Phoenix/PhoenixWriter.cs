using System.Buffers;

namespace MadBase.Protocol.Phoenix;

//  Every server message is  prefix + payload + suffix, so a payload encoded once can be shared by many frames:
//
//  vsn 2.0.0:  [join_ref,ref,"topic","event",   <payload>   ]
//  vsn 1.0.0:  {"topic":"t","event":"e","ref":ref[,"join_ref":jr],"payload":   <payload>   }
//
//  join_ref/ref are JSON strings or null. v1 omits join_ref when null (upstream never sends it in v1, and clients
//  >= 2.100 drop a frame whose non-null join_ref is not the channel's).

/// <summary>
/// Writes server → client Phoenix text messages around payload bytes that are already JSON, copying them verbatim.
/// Lengths are exact, so the Edge can size the WebSocket frame header before writing the message.
/// </summary>
internal static class PhoenixWriter
{
    /// <summary>Bytes of <see cref="WriteSuffix"/>: the closing <c>]</c> or <c>}</c>.</summary>
    public const int SuffixLength = 1;

    private static ReadOnlySpan<byte> ReplyEvent => "\"phx_reply\""u8;

    private static ReadOnlySpan<byte> V1Topic => "{\"topic\":"u8;

    private static ReadOnlySpan<byte> V1Event => ",\"event\":"u8;

    private static ReadOnlySpan<byte> V1Ref => ",\"ref\":"u8;

    private static ReadOnlySpan<byte> V1JoinRef => ",\"join_ref\":"u8;

    private static ReadOnlySpan<byte> V1Payload => ",\"payload\":"u8;

    private static ReadOnlySpan<byte> ReplyOkStart => "{\"status\":\"ok\",\"response\":"u8;

    private static ReadOnlySpan<byte> ReplyErrorStart => "{\"status\":\"error\",\"response\":"u8;

    /// <summary>Length of the prefix written by <c>WritePrefix</c> with the same fields.</summary>
    public static int GetPrefixLength(PhoenixVersion version, string? joinRef, string? @ref, string topic, string @event) =>
        PrefixLength(version, Field.Text(joinRef), Field.Text(@ref), Field.Text(topic), Field.Text(@event));

    /// <summary>Writes everything before the payload (see the layout above).</summary>
    public static void WritePrefix(IBufferWriter<byte> output, PhoenixVersion version, string? joinRef, string? @ref, string topic, string @event) =>
        WritePrefix(output, version, Field.Text(joinRef), Field.Text(@ref), Field.Text(topic), Field.Text(@event));

    /// <summary>Writes the closing bracket after the payload.</summary>
    public static void WriteSuffix(IBufferWriter<byte> output, PhoenixVersion version)
    {
        Span<byte> span = output.GetSpan(SuffixLength);
        span[0] = version == PhoenixVersion.V2 ? (byte)']' : (byte)'}';
        output.Advance(SuffixLength);
    }

    /// <summary>Length of the message <see cref="Write"/> produces for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int GetLength(PhoenixVersion version, string? joinRef, string? @ref, string topic, string @event, int payloadLength) =>
        GetPrefixLength(version, joinRef, @ref, topic, @event) + payloadLength + SuffixLength;

    /// <summary>Writes a whole message; <paramref name="payloadJson"/> must be one JSON value and is copied verbatim.</summary>
    public static void Write(
        IBufferWriter<byte> output,
        PhoenixVersion version,
        string? joinRef,
        string? @ref,
        string topic,
        string @event,
        ReadOnlySpan<byte> payloadJson)
    {
        ThrowIfEmpty(payloadJson);
        WritePrefix(output, version, joinRef, @ref, topic, @event);
        output.Write(payloadJson);
        WriteSuffix(output, version);
    }

    /// <summary>Length of the message <see cref="WriteReply(IBufferWriter{byte}, PhoenixVersion, string?, string?, string, PhoenixReplyStatus, ReadOnlySpan{byte})"/> produces.</summary>
    public static int GetReplyLength(PhoenixVersion version, string? joinRef, string? @ref, string topic, PhoenixReplyStatus status, int responseLength) =>
        PrefixLength(version, Field.Text(joinRef), Field.Text(@ref), Field.Text(topic), Field.Json(ReplyEvent)) + ReplyPayloadLength(status, responseLength) + SuffixLength;

    /// <summary>
    /// Writes <c>phx_reply</c> with payload <c>{"status":"ok"|"error","response":&lt;responseJson&gt;}</c>.
    /// </summary>
    public static void WriteReply(
        IBufferWriter<byte> output,
        PhoenixVersion version,
        string? joinRef,
        string? @ref,
        string topic,
        PhoenixReplyStatus status,
        ReadOnlySpan<byte> responseJson)
    {
        ThrowIfEmpty(responseJson);
        WritePrefix(output, version, Field.Text(joinRef), Field.Text(@ref), Field.Text(topic), Field.Json(ReplyEvent));
        WriteReplyPayload(output, status, responseJson);
        WriteSuffix(output, version);
    }

    /// <summary>Length of the message <see cref="WriteReply(IBufferWriter{byte}, PhoenixVersion, in PhoenixMessage, PhoenixReplyStatus, ReadOnlySpan{byte})"/> produces.</summary>
    public static int GetReplyLength(PhoenixVersion version, in PhoenixMessage request, PhoenixReplyStatus status, int responseLength) =>
        PrefixLength(version, Field.Json(request.JoinRef.Json), Field.Json(request.Ref.Json), Field.Json(request.Topic.Json), Field.Json(ReplyEvent))
        + ReplyPayloadLength(status, responseLength) + SuffixLength;

    /// <summary>
    /// Replies to <paramref name="request"/>, echoing its join_ref, ref and topic tokens byte for byte (no
    /// unescaping, no allocation): the hot path for heartbeats, acks and joins.
    /// </summary>
    public static void WriteReply(
        IBufferWriter<byte> output,
        PhoenixVersion version,
        in PhoenixMessage request,
        PhoenixReplyStatus status,
        ReadOnlySpan<byte> responseJson)
    {
        ThrowIfEmpty(responseJson);
        WritePrefix(output, version, Field.Json(request.JoinRef.Json), Field.Json(request.Ref.Json), Field.Json(request.Topic.Json), Field.Json(ReplyEvent));
        WriteReplyPayload(output, status, responseJson);
        WriteSuffix(output, version);
    }

    private static int ReplyPayloadLength(PhoenixReplyStatus status, int responseLength) =>
        (status == PhoenixReplyStatus.Ok ? ReplyOkStart.Length : ReplyErrorStart.Length) + responseLength + 1;

    private static void WriteReplyPayload(IBufferWriter<byte> output, PhoenixReplyStatus status, ReadOnlySpan<byte> responseJson)
    {
        output.Write(status == PhoenixReplyStatus.Ok ? ReplyOkStart : ReplyErrorStart);
        output.Write(responseJson);
        output.Write("}"u8);
    }

    private static int PrefixLength(PhoenixVersion version, Field joinRef, Field @ref, Field topic, Field @event)
    {
        if (version == PhoenixVersion.V2)
        {
            // '[' + 4 fields each followed by ','
            return 1 + joinRef.Length + 1 + @ref.Length + 1 + topic.Length + 1 + @event.Length + 1;
        }

        int length = V1Topic.Length + topic.Length + V1Event.Length + @event.Length + V1Ref.Length + @ref.Length + V1Payload.Length;
        return joinRef.IsNull ? length : length + V1JoinRef.Length + joinRef.Length;
    }

    private static void WritePrefix(IBufferWriter<byte> output, PhoenixVersion version, Field joinRef, Field @ref, Field topic, Field @event)
    {
        int length = PrefixLength(version, joinRef, @ref, topic, @event);
        Span<byte> span = output.GetSpan(length);
        int at = 0;
        if (version == PhoenixVersion.V2)
        {
            span[at++] = (byte)'[';
            at += joinRef.WriteTo(span.Slice(at));
            span[at++] = (byte)',';
            at += @ref.WriteTo(span.Slice(at));
            span[at++] = (byte)',';
            at += topic.WriteTo(span.Slice(at));
            span[at++] = (byte)',';
            at += @event.WriteTo(span.Slice(at));
            span[at++] = (byte)',';
        }
        else
        {
            at += Copy(V1Topic, span.Slice(at));
            at += topic.WriteTo(span.Slice(at));
            at += Copy(V1Event, span.Slice(at));
            at += @event.WriteTo(span.Slice(at));
            at += Copy(V1Ref, span.Slice(at));
            at += @ref.WriteTo(span.Slice(at));
            if (!joinRef.IsNull)
            {
                at += Copy(V1JoinRef, span.Slice(at));
                at += joinRef.WriteTo(span.Slice(at));
            }

            at += Copy(V1Payload, span.Slice(at));
        }

        output.Advance(at);
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    private static void ThrowIfEmpty(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            throw new ArgumentException("A JSON value is required (use {} for an empty object).", nameof(json));
        }
    }

    /// <summary>An envelope field: a .NET string to escape, or a JSON token to copy as is.</summary>
    private readonly ref struct Field
    {
        private readonly string? _text;
        private readonly ReadOnlySpan<byte> _json;
        private readonly bool _isJson;

        private Field(string? text, ReadOnlySpan<byte> json, bool isJson)
        {
            _text = text;
            _json = json;
            _isJson = isJson;
        }

        public bool IsNull => _isJson ? _json.SequenceEqual("null"u8) : _text is null;

        public int Length => _isJson ? _json.Length : PhoenixJson.GetStringLength(_text);

        /// <summary>A string (escaped on write) or null.</summary>
        public static Field Text(string? text) => new(text, default, isJson: false);

        /// <summary>A complete JSON token (a quoted string or <c>null</c>), copied verbatim.</summary>
        public static Field Json(ReadOnlySpan<byte> token) => new(null, token, isJson: true);

        public int WriteTo(Span<byte> destination)
        {
            if (!_isJson)
            {
                return PhoenixJson.WriteString(destination, _text);
            }

            _json.CopyTo(destination);
            return _json.Length;
        }
    }
}
