using System.Text;

namespace MadBase.Edge.Objects.S3;

/// <summary>
/// SigV4's <c>UriEncode</c>: every byte of the UTF-8 form except the unreserved <c>A–Z a–z 0–9 - . _ ~</c> becomes
/// <c>%XX</c> (uppercase hex). The same string is both signed and sent, so the key S3 stores is exactly the key asked for.
/// </summary>
internal static class S3Encoding
{
    /// <summary>Encodes <paramref name="value"/>; <paramref name="keepSlash"/> leaves <c>/</c> as is (object keys in a path).</summary>
    public static string UriEncode(string value, bool keepSlash)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var encoded = new StringBuilder(bytes.Length + 16);
        foreach (var b in bytes)
        {
            if (IsUnreserved(b) || (keepSlash && b == '/'))
            {
                encoded.Append((char)b);
            }
            else
            {
                encoded.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
            }
        }

        return encoded.ToString();
    }

    /// <summary>
    /// The canonical query string: names and values encoded, sorted by name then value, joined by <c>&amp;</c>; a
    /// parameter without a value (<c>?uploads</c>) is <c>uploads=</c>. It is also the query sent.
    /// </summary>
    public static string CanonicalQuery(params ReadOnlySpan<KeyValuePair<string, string>> parameters)
    {
        var encoded = new List<(string Name, string Value)>(parameters.Length);
        foreach (var (name, value) in parameters)
        {
            encoded.Add((UriEncode(name, keepSlash: false), UriEncode(value, keepSlash: false)));
        }

        encoded.Sort((a, b) => a.Name == b.Name ? string.CompareOrdinal(a.Value, b.Value) : string.CompareOrdinal(a.Name, b.Name));
        return string.Join('&', encoded.Select(p => p.Name + "=" + p.Value));
    }

    private static bool IsUnreserved(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';
}
