using System.Diagnostics.CodeAnalysis;

namespace MadBase.Protocol.WebSockets;

/// <summary>
/// Per-connection receive state for RFC 6455 §5.4 fragmentation: which data message is open, how big it has grown,
/// and where UTF-8 validation of a Text message stopped. It never holds payload bytes (the Edge copies them where
/// it wants); it only checks them. One instance per connection, used by one reader at a time.
/// </summary>
/// <remarks>
/// Per frame: <see cref="BeginFrame"/> with the decoded header, then <see cref="Append"/> with every unmasked piece of
/// the payload in order (any split), then <see cref="EndFrame"/>. Control frames may arrive between the fragments of a
/// data message and do not disturb its state. Violations throw <see cref="ProtocolException"/> with a
/// <see cref="WebSocketProtocolError"/>; after that the instance must not be used again (the connection is failed).
/// </remarks>
internal sealed class WebSocketMessageAssembler
{
    private readonly long _maxMessageLength;

    private bool _inFrame;
    private bool _frameIsControl;
    private bool _frameFin;
    private long _frameRemaining;

    private bool _messageOpen;
    private WebSocketOpcode _messageOpcode;
    private long _messageLength;
    private Utf8StreamValidator _utf8;

    /// <param name="maxMessageLength">Limit for the sum of a data message's fragments; beyond it → 1009.</param>
    public WebSocketMessageAssembler(long maxMessageLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxMessageLength);
        _maxMessageLength = maxMessageLength;
    }

    /// <summary>True between the first fragment of a data message and its final fragment.</summary>
    public bool IsMessageOpen => _messageOpen;

    /// <summary>Text or Binary for the open (or just completed) data message.</summary>
    public WebSocketOpcode MessageOpcode => _messageOpcode;

    /// <summary>Payload bytes of the open data message received so far, including the current frame's pieces.</summary>
    public long MessageLength => _messageLength;

    /// <summary>
    /// Starts a frame. Throws <see cref="WebSocketProtocolError.UnexpectedContinuation"/>,
    /// <see cref="WebSocketProtocolError.ExpectedContinuation"/> or <see cref="WebSocketProtocolError.MessageTooBig"/>.
    /// </summary>
    /// <returns>True when the frame starts a new data message (the Edge resets its message buffer).</returns>
    public bool BeginFrame(in WebSocketFrameHeader header)
    {
        if (_inFrame)
        {
            throw new InvalidOperationException("EndFrame was not called for the previous frame.");
        }

        bool startsMessage = false;
        if (header.IsControl)
        {
            _frameIsControl = true;
        }
        else
        {
            _frameIsControl = false;
            if (header.Opcode == WebSocketOpcode.Continuation)
            {
                if (!_messageOpen)
                {
                    ProtocolException.Throw(WebSocketProtocolError.UnexpectedContinuation, "Continuation frame without a message to continue.");
                }
            }
            else
            {
                if (_messageOpen)
                {
                    ProtocolException.Throw(WebSocketProtocolError.ExpectedContinuation, "New data frame while a fragmented message is open.");
                }

                _messageOpen = true;
                _messageOpcode = header.Opcode;
                _messageLength = 0;
                _utf8 = default;
                startsMessage = true;
            }

            // Checked before any payload is read so an oversized message is refused without buffering it.
            if (header.PayloadLength > _maxMessageLength - _messageLength)
            {
                ProtocolException.Throw(WebSocketProtocolError.MessageTooBig, "Message exceeds the configured limit.");
            }
        }

        _inFrame = true;
        _frameFin = header.Fin;
        _frameRemaining = header.PayloadLength;
        return startsMessage;
    }

    /// <summary>
    /// Feeds the next unmasked piece of the current frame's payload. For Text messages this validates UTF-8
    /// incrementally: a code point may straddle pieces and frames; bytes that are already provably invalid throw
    /// <see cref="WebSocketProtocolError.InvalidUtf8"/> at once (RFC 6455 §8.1 fail-fast).
    /// </summary>
    public void Append(ReadOnlySpan<byte> payload)
    {
        if (!_inFrame || payload.Length > _frameRemaining)
        {
            throw new InvalidOperationException("Payload does not belong to the current frame.");
        }

        _frameRemaining -= payload.Length;
        if (_frameIsControl)
        {
            // Control payloads are validated whole by their handlers (WebSocketClosePayload for Close).
            return;
        }

        _messageLength += payload.Length;
        if (_messageOpcode == WebSocketOpcode.Text && !_utf8.Append(payload))
        {
            FailUtf8();
        }
    }

    /// <summary>Finishes the current frame once its whole payload was appended.</summary>
    /// <returns>
    /// True when this frame completed a data message; <paramref name="messageOpcode"/> is then Text or Binary.
    /// False for a non-final fragment or a control frame (dispatch those on <see cref="WebSocketFrameHeader.Opcode"/>).
    /// A Text message ending inside a code point throws <see cref="WebSocketProtocolError.InvalidUtf8"/>.
    /// </returns>
    public bool EndFrame(out WebSocketOpcode messageOpcode)
    {
        if (!_inFrame || _frameRemaining != 0)
        {
            throw new InvalidOperationException("EndFrame called before the frame's payload was fully appended.");
        }

        _inFrame = false;
        messageOpcode = default;
        if (_frameIsControl || !_frameFin)
        {
            return false;
        }

        if (_messageOpcode == WebSocketOpcode.Text && !_utf8.IsComplete)
        {
            FailUtf8();
        }

        _messageOpen = false;
        messageOpcode = _messageOpcode;
        return true;
    }

    [DoesNotReturn]
    private static void FailUtf8() =>
        ProtocolException.Throw(WebSocketProtocolError.InvalidUtf8, "Text message is not valid UTF-8.");
}
