namespace MadBase.Protocol.Tus;

/// <summary>Header field names of TUS 1.0.0 and its extensions (https://tus.io/protocols/resumable-upload).</summary>
internal static class TusHeaderNames
{
    public const string TusResumable = "Tus-Resumable";
    public const string TusVersion = "Tus-Version";
    public const string TusExtension = "Tus-Extension";
    public const string TusMaxSize = "Tus-Max-Size";
    public const string TusChecksumAlgorithm = "Tus-Checksum-Algorithm";
    public const string UploadOffset = "Upload-Offset";
    public const string UploadLength = "Upload-Length";
    public const string UploadDeferLength = "Upload-Defer-Length";
    public const string UploadMetadata = "Upload-Metadata";
    public const string UploadChecksum = "Upload-Checksum";
    public const string UploadConcat = "Upload-Concat";
    public const string UploadExpires = "Upload-Expires";

    /// <summary>Must be honoured for clients behind proxies that drop PATCH/DELETE (core protocol).</summary>
    public const string HttpMethodOverride = "X-HTTP-Method-Override";

    /// <summary>The only body type a PATCH (or creation-with-upload POST) may carry.</summary>
    public const string OffsetOctetStream = "application/offset+octet-stream";
}
