using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MadBase.Protocol.WebSockets;

/// <summary>
/// RFC 6455 §5.3 masking: <c>payload[i] ^= key[(offset + i) % 4]</c>. Masking and unmasking are the same operation.
/// </summary>
/// <remarks>
/// Works in place, 32 then 16 then 8 bytes at a time, then bytewise. The key is rotated once so that lane 0 lines up
/// with the mask offset; after that every full vector uses the same repeating pattern because vector
/// widths are multiples of 4. Safe code only (Vector*.LoadUnsafe over a span ref, bounds checked by the loop).
/// </remarks>
internal static class WebSocketMask
{
    /// <summary>
    /// XORs <paramref name="payload"/> with the mask. <paramref name="maskKey"/> is the big-endian value of the four
    /// key bytes (<see cref="WebSocketFrameHeader.MaskKey"/>); <paramref name="maskOffset"/> is how many payload bytes
    /// of this frame were already processed, modulo 4.
    /// </summary>
    /// <returns>The offset to pass with the next piece of the same frame's payload.</returns>
    public static int Apply(Span<byte> payload, uint maskKey, int maskOffset)
    {
        maskOffset &= 3;
        if (payload.IsEmpty)
        {
            return maskOffset;
        }

        // Memory-order key: the 32-bit value whose in-memory bytes are key[offset], key[offset+1], ...
        uint wire = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(maskKey) : maskKey;
        int shift = maskOffset * 8;
        uint rotated = BitConverter.IsLittleEndian
            ? BitOperations.RotateRight(wire, shift)
            : BitOperations.RotateLeft(wire, shift);

        ref byte start = ref MemoryMarshal.GetReference(payload);
        nuint length = (nuint)payload.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(rotated).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, i) ^ mask).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(rotated).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, i) ^ mask).StoreUnsafe(ref start, i);
            }
        }

        if (length - i >= sizeof(ulong))
        {
            ulong mask64 = ((ulong)rotated << 32) | rotated;
            for (; length - i >= sizeof(ulong); i += sizeof(ulong))
            {
                ref byte at = ref Unsafe.Add(ref start, i);
                Unsafe.WriteUnaligned(ref at, Unsafe.ReadUnaligned<ulong>(ref at) ^ mask64);
            }
        }

        // Every block above is a multiple of 4 bytes, so the pattern still starts at lane 0 here.
        uint pattern = rotated;
        for (; i < length; i++)
        {
            if (BitConverter.IsLittleEndian)
            {
                Unsafe.Add(ref start, i) ^= (byte)pattern;
                pattern = BitOperations.RotateRight(pattern, 8);
            }
            else
            {
                Unsafe.Add(ref start, i) ^= (byte)(pattern >> 24);
                pattern = BitOperations.RotateLeft(pattern, 8);
            }
        }

        return (int)((maskOffset + (uint)payload.Length) & 3);
    }

    /// <summary>Same as <see cref="Apply(Span{byte}, uint, int)"/> with the key as its four wire bytes.</summary>
    public static int Apply(Span<byte> payload, ReadOnlySpan<byte> maskKey, int maskOffset)
    {
        if (maskKey.Length != 4)
        {
            throw new ArgumentException("A masking key is exactly 4 bytes.", nameof(maskKey));
        }

        return Apply(payload, BinaryPrimitives.ReadUInt32BigEndian(maskKey), maskOffset);
    }
}
