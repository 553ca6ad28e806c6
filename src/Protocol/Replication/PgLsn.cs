using System.Globalization;

namespace MadBase.Protocol.Replication;

/// <summary>
/// Text form of a WAL location, "X/X" (upper and lower 32 bits in hex), as PostgreSQL prints it in
/// pg_replication_slots, IDENTIFY_SYSTEM and expects it in START_REPLICATION … LOGICAL X/X.
/// </summary>
internal static class PgLsn
{
    /// <summary>Formats like PostgreSQL's LSN_FORMAT_ARGS ("%X/%X"), e.g. 0x1546A08 → "0/1546A08".</summary>
    public static string Format(ulong lsn) =>
        string.Create(CultureInfo.InvariantCulture, $"{(uint)(lsn >> 32):X}/{(uint)lsn:X}");

    /// <summary>Parses "X/X" with 1–8 hex digits per half (either case). Returns false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ulong lsn)
    {
        lsn = 0;
        var slash = text.IndexOf('/');
        if (slash is < 1 or > 8 || text.Length - slash - 1 is < 1 or > 8)
        {
            return false;
        }

        if (!uint.TryParse(text[..slash], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high)
            || !uint.TryParse(text[(slash + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        lsn = ((ulong)high << 32) | low;
        return true;
    }
}
