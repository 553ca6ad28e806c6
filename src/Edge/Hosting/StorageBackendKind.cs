namespace MadBase.Edge.Hosting;

internal enum StorageBackendKind
{
    File,
    S3,
}
