namespace MadBase.Protocol.Tus;

/// <summary>One <c>Upload-Metadata</c> pair. An absent value (<c>key</c> alone) is an empty <see cref="Value"/>.</summary>
internal readonly record struct TusMetadataEntry(string Key, ReadOnlyMemory<byte> Value);
