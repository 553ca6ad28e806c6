using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace MadBase.Protocol.Tus;

/// <summary><c>Upload-Expires</c> (expiration extension): an RFC 9110 §5.6.7 IMF-fixdate.</summary>
/// <remarks>
/// <code>
/// IMF-fixdate = day-name "," SP day SP month SP year SP hour ":" minute ":" second SP "GMT"
///               ; e.g. "Wed, 25 Jun 2025 16:00:00 GMT" — fixed width, 29 chars
/// offset:       0    3  4   5   7  8     11 12   16 17   19 20    22 23    25 26
/// </code>
/// Only IMF-fixdate is parsed: servers must send it, and the parser exists to check this server's own
/// output or a peer's, so the obsolete RFC 850 and asctime forms are rejected. Names are case-sensitive as in the
/// grammar, the day name must match the date, and second 60 is rejected because <see cref="DateTime"/> cannot hold it.
/// </remarks>
internal static class TusExpires
{
    /// <summary>Length of every IMF-fixdate.</summary>
    public const int Length = 29;

    private static readonly string[] s_days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    private static readonly string[] s_months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>Formats in UTC; sub-second precision is dropped, as the format has none.</summary>
    public static string Format(DateTimeOffset value) => value.ToString("r", CultureInfo.InvariantCulture);

    public static bool TryFormat(DateTimeOffset value, Span<char> destination, out int charsWritten) =>
        value.TryFormat(destination, out charsWritten, "r", CultureInfo.InvariantCulture);

    /// <exception cref="ProtocolException"><see cref="TusError.InvalidUploadExpires"/>.</exception>
    public static DateTimeOffset Parse(ReadOnlySpan<char> headerValue)
    {
        var s = headerValue;
        if (s.Length != Length || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' '
            || s[19] != ':' || s[22] != ':' || s[25] != ' ' || !s[26..].SequenceEqual("GMT"))
        {
            Fail();
        }

        var dayOfWeek = IndexOf(s_days, s[..3]);
        var month = IndexOf(s_months, s[8..11]) + 1;
        var year = Digits(s.Slice(12, 4));
        var day = Digits(s.Slice(5, 2));
        var hour = Digits(s.Slice(17, 2));
        var minute = Digits(s.Slice(20, 2));
        var second = Digits(s.Slice(23, 2));
        if (dayOfWeek < 0 || month < 1 || year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 59)
        {
            Fail();
        }

        var result = new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero);
        if ((int)result.DayOfWeek != dayOfWeek)
        {
            Fail();
        }

        return result;
    }

    private static int IndexOf(string[] names, ReadOnlySpan<char> name)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Fixed-width decimal; -1 (always out of range for the callers) when a char is not a digit.</summary>
    private static int Digits(ReadOnlySpan<char> text)
    {
        var value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return -1;
            }

            value = (value * 10) + (c - '0');
        }

        return value;
    }

    [DoesNotReturn]
    private static void Fail() =>
        ProtocolException.Throw(TusError.InvalidUploadExpires, "Invalid Upload-Expires: expected an IMF-fixdate such as 'Wed, 25 Jun 2025 16:00:00 GMT'");
}
