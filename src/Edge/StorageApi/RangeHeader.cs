using System.Globalization;
using MadBase.Edge.Objects;

namespace MadBase.Edge.StorageApi;

/// <summary>
/// A single HTTP byte range (RFC 9110 §14.1.2): <c>bytes=a-b</c>, <c>bytes=a-</c> or <c>bytes=-n</c>, end clamped to
/// the last byte. Multiple ranges, malformed values or a start past the end are unsatisfiable (416), as upstream.
/// </summary>
internal static class RangeHeader
{
    /// <summary>Null when the header is absent (serve everything); throws 416 when it cannot be satisfied.</summary>
    public static ByteRange? Parse(string? header, long size)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var value = header.Trim();
        if (!value.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase) || value.Contains(',', StringComparison.Ordinal))
        {
            throw StorageException.InvalidRange();
        }

        var spec = value["bytes=".Length..].Trim();
        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            throw StorageException.InvalidRange();
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // Suffix range: the last n bytes.
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var suffix) || suffix == 0 || size == 0)
            {
                throw StorageException.InvalidRange();
            }

            var length = Math.Min(suffix, size);
            return new ByteRange(size - length, length);
        }

        if (!long.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start) || start >= size)
        {
            throw StorageException.InvalidRange();
        }

        var end = size - 1;
        if (last.Length > 0)
        {
            if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out end) || end < start)
            {
                throw StorageException.InvalidRange();
            }

            end = Math.Min(end, size - 1);
        }

        return new ByteRange(start, end - start + 1);
    }
}
