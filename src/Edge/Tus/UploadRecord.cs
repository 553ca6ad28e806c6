namespace MadBase.Edge.Tus;

/// <summary>
/// One row of <c>madbase.tus_uploads</c>: a resumable upload's durable state. <see cref="Offset"/> counts bytes that
/// were fsynced to the scratch file before the row was updated. Partial uploads (concatenation) have no bucket or
/// object; a final upload lists its partial ids in <see cref="ConcatParts"/> and has no scratch file of its own.
/// Whether the scratch file still backs <see cref="Offset"/> is <see cref="ScratchGuard"/>'s question.
/// </summary>
internal sealed record UploadRecord
{
    public required string Id { get; init; }

    public string? BucketId { get; init; }

    public string? ObjectName { get; init; }

    public required Guid Version { get; init; }

    /// <summary>Null while the length is deferred (<c>Upload-Defer-Length: 1</c>).</summary>
    public long? Length { get; init; }

    public required long Offset { get; init; }

    /// <summary>The Upload-Metadata header as the client sent it, echoed by HEAD.</summary>
    public required string Metadata { get; init; }

    public required string ContentType { get; init; }

    public required string CacheControl { get; init; }

    /// <summary>The client's <c>metadata</c> entry when it was a JSON object (becomes <c>user_metadata</c>).</summary>
    public string? UserMetadata { get; init; }

    public required string Role { get; init; }

    public string? OwnerId { get; init; }

    /// <summary>The creator's JWT claims: completion writes the object row as this caller, so RLS sees the same user.</summary>
    public required string Claims { get; init; }

    public required bool Upsert { get; init; }

    /// <summary>Null, <c>partial</c> or <c>final</c>.</summary>
    public string? Concat { get; init; }

    public IReadOnlyList<string> ConcatParts { get; init; } = [];

    public string? MultipartId { get; init; }

    /// <summary>The identity of the scratch file <see cref="Offset"/> counts bytes in (<see cref="ScratchIdentity"/>); null: not recorded.</summary>
    public string? ScratchIdentity { get; init; }

    /// <summary>Where the scratch file's bytes start: 0, or the end of the S3 parts that hold the bytes below it.</summary>
    public long ScratchBase { get; init; }

    /// <summary>CRC-32 of bytes 0..<see cref="Offset"/> as received (<see cref="ReceivedCrc"/>); null for rows older than the column.</summary>
    public uint? ReceivedCrc { get; init; }

    public required string Status { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public bool IsPartial => Concat == UploadStatus.ConcatPartial;

    public bool IsFinal => Concat == UploadStatus.ConcatFinal;

    public bool IsCompleted => Status == UploadStatus.Completed;

    public bool IsLengthKnown => Length is not null;

    public bool IsFullyReceived => Length is { } length && Offset == length;
}

/// <summary>The string values stored in <c>status</c> and <c>concat</c>.</summary>
internal static class UploadStatus
{
    public const string Uploading = "uploading";
    public const string Completed = "completed";
    public const string Expired = "expired";
    public const string ConcatPartial = "partial";
    public const string ConcatFinal = "final";
}
