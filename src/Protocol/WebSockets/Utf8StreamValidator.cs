using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace MadBase.Protocol.WebSockets;

/// <summary>
/// Validates UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) fed in arbitrary pieces. Holds at
/// most 3 bytes of an unfinished code point between pieces. A mutable struct: keep it in a field, never copy it.
/// </summary>
internal struct Utf8StreamValidator
{
    // Up to 3 pending bytes packed low byte first; a 4th byte always completes or breaks the sequence.
    private uint _pending;
    private int _pendingCount;

    /// <summary>True when no code point is left unfinished (valid place for a message to end).</summary>
    public readonly bool IsComplete => _pendingCount == 0;

    /// <summary>Feeds the next bytes; false as soon as the stream so far cannot be a prefix of valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        if (_pendingCount > 0)
        {
            Span<byte> joined = stackalloc byte[4];
            for (int k = 0; k < _pendingCount; k++)
            {
                joined[k] = (byte)(_pending >> (8 * k));
            }

            int take = Math.Min(4 - _pendingCount, data.Length);
            data.Slice(0, take).CopyTo(joined.Slice(_pendingCount));
            OperationStatus status = Rune.DecodeFromUtf8(joined.Slice(0, _pendingCount + take), out _, out int consumed);
            if (status == OperationStatus.InvalidData)
            {
                return false;
            }

            if (status == OperationStatus.NeedMoreData)
            {
                // Only possible when data ran out before the sequence did.
                SetPending(joined.Slice(0, _pendingCount + take));
                return true;
            }

            data = data.Slice(consumed - _pendingCount);
            _pendingCount = 0;
            _pending = 0;
        }

        int tailStart = FindIncompleteTail(data);
        ReadOnlySpan<byte> tail = data.Slice(tailStart);
        if (!Utf8.IsValid(data.Slice(0, tailStart)))
        {
            return false;
        }

        if (tail.IsEmpty)
        {
            return true;
        }

        // A prefix like E0 80 or F4 90 is already impossible: DecodeFromUtf8 reports InvalidData rather than NeedMoreData.
        if (Rune.DecodeFromUtf8(tail, out _, out _) != OperationStatus.NeedMoreData)
        {
            return false;
        }

        SetPending(tail);
        return true;
    }

    /// <summary>
    /// Index of a trailing lead byte whose sequence is cut short by the end of <paramref name="data"/>, or
    /// data.Length if the data ends on a boundary (or the ending is invalid, which Utf8.IsValid then reports).
    /// </summary>
    private static int FindIncompleteTail(ReadOnlySpan<byte> data)
    {
        for (int back = 1; back <= 3 && back <= data.Length; back++)
        {
            byte b = data[^back];
            if ((b & 0b_1100_0000) == 0b_1000_0000)
            {
                continue; // continuation byte: keep looking for its lead
            }

            int expected = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 1, // ASCII, or a byte that can never lead (C0, C1, F5..FF): not a pending sequence
            };
            return expected > back ? data.Length - back : data.Length;
        }

        return data.Length;
    }

    private void SetPending(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (int k = 0; k < bytes.Length; k++)
        {
            _pending |= (uint)bytes[k] << (8 * k);
        }

        _pendingCount = bytes.Length;
    }
}
