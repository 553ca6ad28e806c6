namespace MadBase.Edge.Tus;

/// <summary>
/// The bytes held for an upload are not the bytes it received (its scratch file is missing, short, replaced or
/// rewritten, or its S3 parts do not add up to the received CRC). Thrown by the checks on the completion road;
/// <see cref="TusHandler"/> answers it by rolling the upload back (<see cref="UploadRollback.RestartAsync"/>), never
/// by storing the object.
/// </summary>
internal sealed class UploadBytesLostException(UploadRecord upload, string reason) : Exception($"upload {upload.Id}: {reason}")
{
    /// <summary>The upload whose bytes are lost: the one being completed, or one partial of a final upload.</summary>
    public UploadRecord Upload { get; } = upload;

    public string Reason { get; } = reason;
}
