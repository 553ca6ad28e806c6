namespace MadBase.Protocol.Tus;

/// <summary>Digest algorithms offered by the checksum extension (the set tusd-style servers list).</summary>
internal enum TusChecksumAlgorithm
{
    /// <summary><c>sha1</c>: 20-byte digest. The checksum extension requires every server to support it.</summary>
    Sha1,

    /// <summary><c>md5</c>: 16-byte digest.</summary>
    Md5,

    /// <summary><c>crc32</c>: the IEEE 802.3 CRC-32 as 4 bytes, most significant byte first.</summary>
    Crc32,
}
