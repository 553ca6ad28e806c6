using System.Text;

namespace MadBase.Edge.Objects;

/// <summary>
/// Names and store keys. An object name is any valid UTF-8 without control characters, split by <c>/</c> into
/// non-empty segments that are not <c>.</c> or <c>..</c> — so a name can never climb out of its bucket in the file
/// backend, and <c>a//b</c> and <c>a/b</c> can never be two spellings of one path. Non-ASCII names are allowed on
/// purpose (upstream refuses them; see docs/protocol/tus-and-storage.md §Non-ASCII object names).
/// </summary>
internal static class ObjectKeys
{
    /// <summary>S3's own key limit is 1024 bytes; the version suffix and bucket need room too.</summary>
    public const int MaxNameBytes = 960;

    public const int MaxBucketNameLength = 100;

    /// <summary>The store key of one version of an object.</summary>
    public static string For(string bucketId, string name, string version) => bucketId + "/" + name + "/" + version;

    public static string NewVersion() => Guid.NewGuid().ToString();

    /// <summary>Returns null when valid, else why not (shown to the client after "Invalid key: ").</summary>
    public static string? ValidateName(string name)
    {
        if (name.Length == 0)
        {
            return "the object name is empty";
        }

        if (Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            return $"the object name is longer than {MaxNameBytes} bytes";
        }

        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return "the object name contains a control character";
            }

            if (char.IsSurrogate(c) && !IsWellFormed(name))
            {
                return "the object name is not valid UTF-8";
            }
        }

        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0)
            {
                return "the object name has an empty path segment (leading, trailing or double '/')";
            }

            if (segment is "." or "..")
            {
                return "the object name has a '.' or '..' path segment";
            }
        }

        return null;
    }

    /// <summary>Supabase's bucket name rule, plus no <c>.</c>/<c>..</c> (they would be directories in the file backend).</summary>
    public static bool IsValidBucketName(string name)
    {
        if (name.Length is 0 or > MaxBucketNameLength || name is "." or ".." || char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
        {
            return false;
        }

        foreach (var c in name)
        {
            var ok = char.IsAsciiLetterOrDigit(c) || "_!.*'() &$=@;:+,?-".Contains(c, StringComparison.Ordinal);
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsWellFormed(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}
