using System.Security.Cryptography;

namespace MadBase.Edge.Objects;

/// <summary>Counts and MD5-hashes what is read through it, so a store learns size and ETag in the same pass as the copy.</summary>
internal sealed class HashingReadStream(Stream inner) : ObservingReadStream(inner)
{
    // MD5 is not used for security here: it is the ETag format S3 and Supabase clients expect for single-part objects.
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);

    /// <summary>The quoted hex MD5 of everything read so far, e.g. <c>"d41d8cd98f00b204e9800998ecf8427e"</c>.</summary>
    public string QuotedETag()
    {
        Span<byte> hash = stackalloc byte[MD5.HashSizeInBytes];
        _md5.GetCurrentHash(hash);
        return "\"" + Convert.ToHexStringLower(hash) + "\"";
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _md5.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override void Observe(ReadOnlySpan<byte> data) => _md5.AppendData(data);
}
