using MadBase.Protocol.Tus;

namespace MadBase.Protocol.Tests.Tus;

public sealed class TusErrorExtensionsTests
{
    [Theory]
    [InlineData(TusError.UnsupportedVersion, 412)]
    [InlineData(TusError.InvalidUploadOffset, 400)]
    [InlineData(TusError.InvalidUploadLength, 400)]
    [InlineData(TusError.InvalidUploadDeferLength, 400)]
    [InlineData(TusError.AmbiguousUploadLength, 400)]
    [InlineData(TusError.UploadLengthAlreadySet, 400)]
    [InlineData(TusError.InvalidUploadMetadata, 400)]
    [InlineData(TusError.UploadMetadataTooLarge, 400)]
    [InlineData(TusError.InvalidUploadChecksum, 400)]
    [InlineData(TusError.UnsupportedChecksumAlgorithm, 400)]
    [InlineData(TusError.ChecksumMismatch, 460)]
    [InlineData(TusError.InvalidUploadConcat, 400)]
    [InlineData(TusError.ConcatenatedUploadModification, 403)]
    [InlineData(TusError.InvalidUploadExpires, 400)]
    [InlineData(TusError.InvalidUploadId, 404)]
    [InlineData(TusError.UploadTooLarge, 413)]
    [InlineData(TusError.OffsetConflict, 409)]
    [InlineData(TusError.UnsupportedContentType, 415)]
    [InlineData(TusError.UploadNotFound, 404)]
    [InlineData(TusError.UploadGone, 410)]
    [InlineData(TusError.UploadLocked, 423)]
    [InlineData(TusError.Unauthorized, 401)]
    [InlineData(TusError.Forbidden, 403)]
    [InlineData(TusError.InvalidRequest, 400)]
    internal void ToHttpStatus_EachReason_ReturnsTusStatus(TusError reason, int status) =>
        Assert.Equal(status, reason.ToHttpStatus());

    [Fact]
    public void ToHttpStatus_EveryDefinedReason_IsMapped()
    {
        foreach (var reason in Enum.GetValues<TusError>())
        {
            Assert.InRange(reason.ToHttpStatus(), 400, 499);
        }
    }

    [Fact]
    public void ToHttpStatus_UndefinedReason_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ((TusError)999).ToHttpStatus());
}
