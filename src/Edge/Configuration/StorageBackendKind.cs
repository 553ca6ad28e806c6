namespace MadBase.Edge.Configuration;

internal enum StorageBackendKind
{
    File,
    S3,
}
