namespace MadBase.Protocol.Tus;

/// <summary>A parsed <c>Upload-Concat</c> header.</summary>
/// <remarks>
/// <code>
/// Upload-Concat = "partial" / "final;" url *( SP url )   ; tokens case-sensitive, exactly one SP between urls
/// url           = 1*( %x21-7E )                          ; absolute URL or path of a partial upload
/// </code>
/// Example: <c>final;/files/a https://tus.example.org/files/b</c>. The Edge resolves each URL to an upload id
/// (last path segment, <see cref="TusUploadId.Decode"/>). Strict because tus-js-client writes exactly this form.
/// </remarks>
internal sealed class TusConcat
{
    private const string PartialToken = "partial";
    private const string FinalPrefix = "final;";

    private readonly string[] _partialUploads;

    private TusConcat(TusConcatKind kind, string[] partialUploads)
    {
        Kind = kind;
        _partialUploads = partialUploads;
    }

    public static TusConcat Partial { get; } = new(TusConcatKind.Partial, []);

    public TusConcatKind Kind { get; }

    /// <summary>The partial uploads' URLs in concatenation order; empty for <see cref="TusConcatKind.Partial"/>.</summary>
    public IReadOnlyList<string> PartialUploads => _partialUploads;

    /// <exception cref="ArgumentException">No URLs, or a URL that could not be sent on the wire.</exception>
    public static TusConcat Final(IEnumerable<string> partialUploadUrls)
    {
        ArgumentNullException.ThrowIfNull(partialUploadUrls);
        string[] urls = [.. partialUploadUrls];
        if (urls.Length == 0 || !Array.TrueForAll(urls, u => u is not null && IsUrl(u)))
        {
            throw new ArgumentException("A final upload needs one or more URLs of visible ASCII characters.", nameof(partialUploadUrls));
        }

        return new TusConcat(TusConcatKind.Final, urls);
    }

    /// <exception cref="ProtocolException"><see cref="TusError.InvalidUploadConcat"/>.</exception>
    public static TusConcat Parse(ReadOnlySpan<char> headerValue)
    {
        if (headerValue.SequenceEqual(PartialToken))
        {
            return Partial;
        }

        if (!headerValue.StartsWith(FinalPrefix, StringComparison.Ordinal))
        {
            ProtocolException.Throw(TusError.InvalidUploadConcat, "Invalid Upload-Concat: expected 'partial' or 'final;<url> <url> ...'");
        }

        // Counted first so the array is allocated once at its size: a header of many short URLs otherwise cost a list's
        // growth and a copy on top of the strings (found by the tus fuzz target's allocation budget).
        var list = headerValue[FinalPrefix.Length..];
        var urls = new string[list.Count(' ') + 1];
        var next = 0;
        foreach (var range in list.Split(' '))
        {
            var url = list[range];
            if (!IsUrl(url))
            {
                ProtocolException.Throw(TusError.InvalidUploadConcat, "Invalid Upload-Concat: partial upload URLs are visible ASCII separated by one space");
            }

            urls[next++] = url.ToString();
        }

        return new TusConcat(TusConcatKind.Final, urls);
    }

    public string Format() => Kind == TusConcatKind.Partial ? PartialToken : FinalPrefix + string.Join(' ', _partialUploads);

    private static bool IsUrl(ReadOnlySpan<char> url)
    {
        if (url.IsEmpty)
        {
            return false;
        }

        foreach (var c in url)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
