namespace MadBase.Protocol.Tus;

/// <summary>Maps each <see cref="TusError"/> to the one HTTP status the Edge answers with.</summary>
internal static class TusErrorExtensions
{
    /// <summary>460 is TUS-specific ("Checksum Mismatch"); it has no reason phrase in RFC 9110.</summary>
    public const int ChecksumMismatchStatus = 460;

    public static int ToHttpStatus(this TusError reason) => reason switch
    {
        TusError.UnsupportedVersion => 412,
        TusError.InvalidUploadOffset => 400,
        TusError.InvalidUploadLength => 400,
        TusError.InvalidUploadDeferLength => 400,
        TusError.AmbiguousUploadLength => 400,
        TusError.UploadLengthAlreadySet => 400,
        TusError.InvalidUploadMetadata => 400,
        TusError.UploadMetadataTooLarge => 400,
        TusError.InvalidUploadChecksum => 400,
        TusError.UnsupportedChecksumAlgorithm => 400,
        TusError.ChecksumMismatch => ChecksumMismatchStatus,
        TusError.InvalidUploadConcat => 400,
        TusError.ConcatenatedUploadModification => 403,
        TusError.InvalidUploadExpires => 400,
        TusError.InvalidUploadId => 404,
        TusError.UploadTooLarge => 413,
        TusError.OffsetConflict => 409,
        TusError.UnsupportedContentType => 415,
        TusError.UploadNotFound => 404,
        TusError.UploadGone => 410,
        TusError.UploadLocked => 423,
        TusError.Unauthorized => 401,
        TusError.Forbidden => 403,
        TusError.InvalidRequest => 400,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown TusError."),
    };
}
