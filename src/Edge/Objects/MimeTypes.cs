namespace MadBase.Edge.Objects;

/// <summary>Bucket <c>allowed_mime_types</c> matching (docs/protocol/tus-and-storage.md §Bucket limits): exact
/// <c>type/subtype</c>, <c>type/*</c> or <c>*</c>.</summary>
internal static class MimeTypes
{
    public static bool IsAllowed(string mimeType, string[]? allowed)
    {
        if (allowed is null || allowed.Length == 0)
        {
            return true;
        }

        // Parameters (";charset=…") are compared without: text/plain;charset=UTF-8 is a text/plain upload.
        var bare = Bare(mimeType);
        var slash = bare.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == bare.Length - 1)
        {
            return false;
        }

        foreach (var entry in allowed)
        {
            var rule = Bare(entry);
            if (rule.Length == 0)
            {
                continue;
            }

            if (rule == "*" || rule == "*/*" || string.Equals(rule, bare, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (rule.EndsWith("/*", StringComparison.Ordinal)
                && string.Equals(rule[..^2], bare[..slash], StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Bare(string mimeType)
    {
        var semicolon = mimeType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon < 0 ? mimeType : mimeType[..semicolon]).Trim();
    }
}
