namespace MadBase.Edge.Tus;

/// <summary>
/// The upload could not be stored yet because something it depends on failed (S3, the disk, the database): answered
/// with 500 and a plain-text body, which tus-js-client retries; its HEAD then resumes the work. Not a
/// <see cref="MadBase.Protocol.Tus.TusError"/>: those are the client's or the upload's state, always 4xx.
/// </summary>
internal sealed class UploadUnavailableException(string message, Exception cause) : Exception(message, cause);
