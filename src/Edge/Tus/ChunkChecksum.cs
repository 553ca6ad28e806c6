using System.IO.Hashing;
using System.Security.Cryptography;
using MadBase.Protocol.Tus;

namespace MadBase.Edge.Tus;

/// <summary>
/// Hashes one PATCH body as it streams (TUS checksum extension) so the digest is known the moment the last byte is
/// on disk — no second pass over the chunk. SHA-1 and MD5 by <see cref="IncrementalHash"/>, CRC-32 by
/// <see cref="Crc32"/> (big-endian digest, as tus clients send it).
/// </summary>
internal sealed class ChunkChecksum : IDisposable
{
    private readonly TusChecksum _expected;
    private readonly IncrementalHash? _hash;
    private readonly Crc32? _crc;

    public ChunkChecksum(TusChecksum expected)
    {
        _expected = expected;
        switch (expected.Algorithm)
        {
            case TusChecksumAlgorithm.Crc32:
                _crc = new Crc32();
                break;
            case TusChecksumAlgorithm.Md5:
#pragma warning disable CA5351 // MD5 is what the client chose to verify transport integrity with; it is not a security boundary
                _hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
                break;
            default:
#pragma warning disable CA5350 // SHA-1 is the checksum extension's mandatory algorithm; used for integrity, not security
                _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
                break;
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_crc is not null)
        {
            _crc.Append(data);
        }
        else
        {
            _hash!.AppendData(data);
        }
    }

    public bool Matches()
    {
        if (_crc is not null)
        {
            return _expected.MatchesCrc32(_crc.GetCurrentHashAsUInt32());
        }

        Span<byte> digest = stackalloc byte[20]; // SHA-1's 20 bytes, the largest supported digest
        var written = _hash!.GetHashAndReset(digest);
        return _expected.Matches(digest[..written]);
    }

    public void Dispose() => _hash?.Dispose();
}
