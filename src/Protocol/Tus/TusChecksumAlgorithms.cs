namespace MadBase.Protocol.Tus;

/// <summary>Names and digest sizes of <see cref="TusChecksumAlgorithm"/>, and the OPTIONS advertisement.</summary>
internal static class TusChecksumAlgorithms
{
    /// <summary>Value of <c>Tus-Checksum-Algorithm</c> on OPTIONS responses.</summary>
    public const string HeaderValue = "sha1,md5,crc32";

    /// <summary>The lowercase token used on the wire.</summary>
    public static string Name(this TusChecksumAlgorithm algorithm) => algorithm switch
    {
        TusChecksumAlgorithm.Sha1 => "sha1",
        TusChecksumAlgorithm.Md5 => "md5",
        TusChecksumAlgorithm.Crc32 => "crc32",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm."),
    };

    /// <summary>Digest size in bytes: SHA-1 160 bits, MD5 128 bits, CRC-32 32 bits.</summary>
    public static int DigestLength(this TusChecksumAlgorithm algorithm) => algorithm switch
    {
        TusChecksumAlgorithm.Sha1 => 20,
        TusChecksumAlgorithm.Md5 => 16,
        TusChecksumAlgorithm.Crc32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown checksum algorithm."),
    };

    /// <summary>
    /// Looks a token up ASCII-case-insensitively: the IANA hash-name registry the extension points to treats
    /// names as case-insensitive, and accepting <c>SHA1</c> costs nothing.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> name, out TusChecksumAlgorithm algorithm)
    {
        if (name.Equals("sha1", StringComparison.OrdinalIgnoreCase))
        {
            algorithm = TusChecksumAlgorithm.Sha1;
            return true;
        }

        if (name.Equals("md5", StringComparison.OrdinalIgnoreCase))
        {
            algorithm = TusChecksumAlgorithm.Md5;
            return true;
        }

        if (name.Equals("crc32", StringComparison.OrdinalIgnoreCase))
        {
            algorithm = TusChecksumAlgorithm.Crc32;
            return true;
        }

        algorithm = default;
        return false;
    }
}
