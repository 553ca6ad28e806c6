namespace MadBase.Protocol.Tus;

/// <summary>
/// Why a TUS request is rejected. The header codecs in this folder throw the syntax reasons; the Edge raises the
/// state reasons (offset conflict, expiry, lock…) with the same enum so that <see cref="TusErrorExtensions.ToHttpStatus"/>
/// is the one place that decides the status line. The Edge answers every reason with that status and a
/// <c>text/plain</c> body (TUS endpoints never use the REST JSON error shape).
/// </summary>
/// <remarks>Statuses follow https://tus.io/protocols/resumable-upload and what tusd / @tus/server answer.</remarks>
internal enum TusError
{
    /// <summary><c>Tus-Resumable</c> is missing or is not <c>1.0.0</c> (412, sent with <c>Tus-Version</c>).</summary>
    UnsupportedVersion,

    /// <summary><c>Upload-Offset</c> is not a non-negative decimal int64 (400).</summary>
    InvalidUploadOffset,

    /// <summary><c>Upload-Length</c> is not a non-negative decimal int64 (400).</summary>
    InvalidUploadLength,

    /// <summary><c>Upload-Defer-Length</c> has a value other than <c>1</c> (400, creation-defer-length).</summary>
    InvalidUploadDeferLength,

    /// <summary>A creation request carries both or neither of <c>Upload-Length</c> and <c>Upload-Defer-Length</c> (400).</summary>
    AmbiguousUploadLength,

    /// <summary>A PATCH sends <c>Upload-Length</c> although the length is already known (400).</summary>
    UploadLengthAlreadySet,

    /// <summary><c>Upload-Metadata</c> is not a list of <c>key base64</c> pairs, repeats a key, or a value is not UTF-8 where text is required (400).</summary>
    InvalidUploadMetadata,

    /// <summary><c>Upload-Metadata</c> exceeds the configured size cap (400).</summary>
    UploadMetadataTooLarge,

    /// <summary><c>Upload-Checksum</c> is not <c>&lt;algorithm&gt; &lt;base64 digest&gt;</c> or the digest has the wrong length (400).</summary>
    InvalidUploadChecksum,

    /// <summary><c>Upload-Checksum</c> names an algorithm the server does not offer (400, per the checksum extension).</summary>
    UnsupportedChecksumAlgorithm,

    /// <summary>The chunk's digest differs from <c>Upload-Checksum</c>; the chunk is discarded (460 Checksum Mismatch).</summary>
    ChecksumMismatch,

    /// <summary><c>Upload-Concat</c> is neither <c>partial</c> nor <c>final;&lt;url&gt; …</c> (400).</summary>
    InvalidUploadConcat,

    /// <summary>A PATCH targets a final (concatenated) upload (403, concatenation extension).</summary>
    ConcatenatedUploadModification,

    /// <summary><c>Upload-Expires</c> is not an IMF-fixdate (400; only met when reading a peer's response).</summary>
    InvalidUploadExpires,

    /// <summary>The last URL segment is not a valid encoded upload id (404: no upload can have that URL).</summary>
    InvalidUploadId,

    /// <summary><c>Upload-Length</c> exceeds <c>Tus-Max-Size</c>, or the body would run past the declared length (413).</summary>
    UploadTooLarge,

    /// <summary><c>Upload-Offset</c> differs from the upload's current offset; nothing is written (409).</summary>
    OffsetConflict,

    /// <summary>A PATCH body is not <c>application/offset+octet-stream</c> (415, as the core protocol says).</summary>
    UnsupportedContentType,

    /// <summary>No upload is stored under the id (404).</summary>
    UploadNotFound,

    /// <summary>The upload existed but expired or was terminated, and the server still remembers it (410).</summary>
    UploadGone,

    /// <summary>Another request holds the upload's lock; tus-js-client retries 423 (423 Locked).</summary>
    UploadLocked,

    /// <summary>No valid credentials: a missing or invalid JWT or signature (401).</summary>
    Unauthorized,

    /// <summary>Valid credentials that may not do this: RLS refuses the write, another user's upload, a bad signature (403).</summary>
    Forbidden,

    /// <summary>A request that is well formed but cannot be honoured in the upload's state or with its metadata (400).</summary>
    InvalidRequest,
}
