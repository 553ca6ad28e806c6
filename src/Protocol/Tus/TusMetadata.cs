using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace MadBase.Protocol.Tus;

/// <summary>
/// A decoded <c>Upload-Metadata</c> header: ordered, unique, case-sensitive keys mapped to raw bytes.
/// Order is kept so that HEAD echoes the pairs in the order the client sent them.
/// </summary>
/// <remarks>
/// Wire form (https://tus.io/protocols/resumable-upload#upload-metadata):
/// <code>
/// Upload-Metadata = element *( OWS "," OWS element )      ; empty elements are ignored (RFC 9110 §5.6.1)
/// element         = key [ SP value ]
/// key             = 1*( %x21-2B / %x2D-7E )                ; visible ASCII except ","  (no space, no comma)
/// value           = canonical padded base64 (RFC 4648 §4)  ; "key" alone means an empty value
/// </code>
/// Example: <c>bucketName YXZhdGFycw==,objectName Zm9sZGVyL2NhdC5wbmc=,isPublic</c>.
/// </remarks>
internal sealed class TusMetadata
{
    /// <summary>
    /// Default cap on the raw header. Supabase sends five short keys plus the user's <c>metadata</c> JSON; 16 KiB of
    /// header leaves room for about 12 KiB of JSON while staying well below Kestrel's 32 KiB header-block limit.
    /// </summary>
    public const int DefaultMaxHeaderLength = 16 * 1024;

    private readonly TusMetadataEntry[] _entries;
    private readonly Dictionary<string, int> _index;

    private TusMetadata(TusMetadataEntry[] entries, Dictionary<string, int> index)
    {
        _entries = entries;
        _index = index;
    }

    public static TusMetadata Empty { get; } = new([], new Dictionary<string, int>(StringComparer.Ordinal));

    public int Count => _entries.Length;

    /// <summary>The pairs in wire order.</summary>
    public ReadOnlySpan<TusMetadataEntry> Entries => _entries;

    /// <summary>Builds metadata from pairs the server produced (e.g. after normalising <c>cacheControl</c>).</summary>
    /// <exception cref="ArgumentException">A key is not a valid metadata key or is repeated.</exception>
    public static TusMetadata Create(IEnumerable<TusMetadataEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<TusMetadataEntry>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Key is null || !IsValidKey(entry.Key))
            {
                throw new ArgumentException($"'{entry.Key}' is not a valid Upload-Metadata key.", nameof(entries));
            }

            if (!index.TryAdd(entry.Key, list.Count))
            {
                throw new ArgumentException($"Duplicate Upload-Metadata key '{entry.Key}'.", nameof(entries));
            }

            list.Add(entry);
        }

        return new TusMetadata([.. list], index);
    }

    /// <summary>Parses an <c>Upload-Metadata</c> header value; an empty value yields <see cref="Empty"/>.</summary>
    /// <exception cref="ProtocolException"><see cref="TusError.InvalidUploadMetadata"/> or <see cref="TusError.UploadMetadataTooLarge"/>.</exception>
    public static TusMetadata Parse(ReadOnlySpan<char> headerValue, int maxHeaderLength = DefaultMaxHeaderLength)
    {
        if (headerValue.Length > maxHeaderLength)
        {
            ProtocolException.Throw(TusError.UploadMetadataTooLarge, $"Upload-Metadata exceeds {maxHeaderLength} characters");
        }

        var list = new List<TusMetadataEntry>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var range in headerValue.Split(','))
        {
            var element = headerValue[range].Trim(" \t");
            if (element.IsEmpty)
            {
                continue;
            }

            var space = element.IndexOf(' ');
            var key = space < 0 ? element : element[..space];
            var encoded = space < 0 ? [] : element[(space + 1)..];
            if (!IsValidKey(key))
            {
                ProtocolException.Throw(TusError.InvalidUploadMetadata, "Invalid Upload-Metadata: keys must be non-empty visible ASCII without spaces or commas");
            }

            // A second space (or a tab) lands in `encoded` and fails the alphabet check.
            if (!StrictBase64.TryDecodePadded(encoded, out var value))
            {
                ProtocolException.Throw(TusError.InvalidUploadMetadata, "Invalid Upload-Metadata: a value is not canonical padded base64");
            }

            var keyText = key.ToString();
            if (!index.TryAdd(keyText, list.Count))
            {
                ProtocolException.Throw(TusError.InvalidUploadMetadata, $"Invalid Upload-Metadata: duplicate key '{keyText}'");
            }

            list.Add(new TusMetadataEntry(keyText, value));
        }

        return list.Count == 0 ? Empty : new TusMetadata([.. list], index);
    }

    public bool ContainsKey(string key) => _index.ContainsKey(key);

    public bool TryGetValue(string key, out ReadOnlyMemory<byte> value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            value = _entries[i].Value;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Reads a value as text. False when the key is absent.</summary>
    /// <exception cref="ProtocolException"><see cref="TusError.InvalidUploadMetadata"/> when the value is not valid UTF-8.</exception>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value)
    {
        if (!TryGetValue(key, out var bytes))
        {
            value = null;
            return false;
        }

        // Lossy decoding would let two different byte strings name the same object, so invalid UTF-8 is an error.
        if (!Utf8.IsValid(bytes.Span))
        {
            ProtocolException.Throw(TusError.InvalidUploadMetadata, $"Invalid Upload-Metadata: value of '{key}' is not UTF-8");
        }

        value = Encoding.UTF8.GetString(bytes.Span);
        return true;
    }

    /// <summary>Re-encodes the pairs for a HEAD response; empty values are written as the key alone.</summary>
    public string Format()
    {
        var builder = new StringBuilder();
        foreach (var entry in _entries)
        {
            if (builder.Length > 0)
            {
                builder.Append(',');
            }

            builder.Append(entry.Key);
            if (!entry.Value.IsEmpty)
            {
                builder.Append(' ').Append(Convert.ToBase64String(entry.Value.Span));
            }
        }

        return builder.ToString();
    }

    private static bool IsValidKey(ReadOnlySpan<char> key)
    {
        if (key.IsEmpty)
        {
            return false;
        }

        foreach (var c in key)
        {
            if (c is < '!' or > '~' or ',')
            {
                return false;
            }
        }

        return true;
    }
}
