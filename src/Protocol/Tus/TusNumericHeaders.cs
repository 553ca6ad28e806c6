using System.Globalization;

namespace MadBase.Protocol.Tus;

/// <summary>
/// <c>Upload-Offset</c>, <c>Upload-Length</c> and <c>Upload-Defer-Length</c>.
/// </summary>
/// <remarks>
/// Grammar accepted (RFC 9110 §8.6 style, as for Content-Length): <c>1*DIGIT</c> whose value fits in int64.
/// Leading zeros are allowed because the grammar allows them and they are unambiguous (<c>007</c> = 7); a sign,
/// any whitespace, a decimal point or a value above <see cref="long.MaxValue"/> is rejected. Surrounding OWS is
/// already trimmed by the HTTP server before the value reaches these parsers, so none is tolerated here.
/// </remarks>
internal static class TusNumericHeaders
{
    /// <summary>Longest decimal int64 ("9223372036854775807"); the size <see cref="TryFormat"/> needs at most.</summary>
    public const int MaxFormattedLength = 19;

    /// <summary>The only value <c>Upload-Defer-Length</c> may take (creation-defer-length extension).</summary>
    public const string DeferLengthValue = "1";

    public static long ParseUploadOffset(ReadOnlySpan<char> headerValue) =>
        ParseNonNegative(headerValue, TusError.InvalidUploadOffset, "Invalid Upload-Offset");

    public static long ParseUploadLength(ReadOnlySpan<char> headerValue) =>
        ParseNonNegative(headerValue, TusError.InvalidUploadLength, "Invalid Upload-Length");

    /// <summary>The protocol allows only <c>1</c>; "other values MUST be rejected with 400".</summary>
    public static void ValidateUploadDeferLength(ReadOnlySpan<char> headerValue)
    {
        if (!headerValue.SequenceEqual(DeferLengthValue))
        {
            ProtocolException.Throw(TusError.InvalidUploadDeferLength, "Invalid Upload-Defer-Length; the only allowed value is 1");
        }
    }

    /// <summary>Formats an <c>Upload-Offset</c> / <c>Upload-Length</c> / <c>Tus-Max-Size</c> value.</summary>
    public static string Format(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Allocation-free variant of <see cref="Format"/>; false when <paramref name="destination"/> is too short.</summary>
    public static bool TryFormat(long value, Span<char> destination, out int charsWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value.TryFormat(destination, out charsWritten, default, CultureInfo.InvariantCulture);
    }

    private static long ParseNonNegative(ReadOnlySpan<char> text, TusError reason, string message)
    {
        if (text.IsEmpty)
        {
            ProtocolException.Throw(reason, message);
        }

        long value = 0;
        foreach (var c in text)
        {
            var digit = c - '0';
            if ((uint)digit > 9)
            {
                ProtocolException.Throw(reason, message);
            }

            // value * 10 + digit <= long.MaxValue  <=>  value <= (long.MaxValue - digit) / 10
            if (value > (long.MaxValue - digit) / 10)
            {
                ProtocolException.Throw(reason, message);
            }

            value = (value * 10) + digit;
        }

        return value;
    }
}
