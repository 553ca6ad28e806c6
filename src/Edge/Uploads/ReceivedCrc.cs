using System.IO.Hashing;

namespace MadBase.Edge.Uploads;

/// <summary>
/// The content identity of what an upload received: CRC-64 as <see cref="Crc64"/> computes it (ECMA-182 polynomial,
/// initial value 0, not reflected, no final xor). With a zero initial value and no final xor the CRC is linear in
/// the message, so the CRC of A‖B follows from the CRCs of A and B and the length of B alone:
/// <c>crc(A‖B) = crc(A)·x^(8·|B|) mod P ⊕ crc(B)</c>. That is what lets each PATCH hash only its own bytes and each
/// S3 part only its own, while the row keeps one running value for bytes 0..offset that completion checks the stored
/// bytes against. Not a security measure: it catches lost, truncated, replaced or rewritten scratch bytes.
/// </summary>
internal static class ReceivedCrc
{
    /// <summary>The CRC of no bytes.</summary>
    public const ulong Empty = 0;

    private const ulong Polynomial = 0x42F0E1EBA9EA3693; // x^64 is implicit

    /// <summary>The CRC of A‖B from <paramref name="first"/> = crc(A), <paramref name="second"/> = crc(B) and |B|.</summary>
    public static ulong Combine(ulong first, ulong second, long secondLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(secondLength);
        return MultiplyMod(first, PowerOfX(secondLength * 8)) ^ second;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static ulong Of(ReadOnlySpan<byte> data) => Crc64.HashToUInt64(data);

    /// <summary>The bigint column's form (the same 64 bits, read as signed).</summary>
    public static long ToColumn(ulong crc) => unchecked((long)crc);

    public static ulong FromColumn(long column) => unchecked((ulong)column);

    /// <summary>x^<paramref name="exponent"/> mod P, by square-and-multiply: about 2·log2(exponent) products.</summary>
    private static ulong PowerOfX(long exponent)
    {
        ulong result = 1; // x^0
        ulong square = 2; // x^1
        while (exponent > 0)
        {
            if ((exponent & 1) != 0)
            {
                result = MultiplyMod(result, square);
            }

            square = MultiplyMod(square, square);
            exponent >>= 1;
        }

        return result;
    }

    /// <summary>a·b mod P in GF(2)[x], Horner over b's bits from the highest.</summary>
    private static ulong MultiplyMod(ulong a, ulong b)
    {
        ulong product = 0;
        for (var bit = 63; bit >= 0; bit--)
        {
            product = (product << 1) ^ ((product >> 63) * Polynomial); // product·x mod P
            if (((b >> bit) & 1) != 0)
            {
                product ^= a;
            }
        }

        return product;
    }
}
