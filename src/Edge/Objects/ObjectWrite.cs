namespace MadBase.Edge.Objects;

/// <summary>
/// One object write as <see cref="ObjectsRepository"/> records it: where (<see cref="BucketId"/>/<see cref="Name"/>),
/// which bytes (<see cref="Version"/>, whose store key is <see cref="ObjectKeys.For"/>), who (<see cref="OwnerId"/> is
/// the JWT <c>sub</c>), and how (<see cref="Upsert"/>: replace an existing row, or fail with 409).
/// </summary>
/// <param name="Operation">The <c>storage.operation</c> GUC policies may test, e.g. <c>storage.object.upload</c>.</param>
internal sealed record ObjectWrite(
    string BucketId,
    string Name,
    string Version,
    string? OwnerId,
    string ContentType,
    string CacheControl,
    string? UserMetadataJson,
    bool Upsert,
    string Operation)
{
    public string StoreKey => ObjectKeys.For(BucketId, Name, Version);

    /// <summary>The uuid form of the owner for the deprecated <c>owner</c> column (only when <c>sub</c> is a uuid).</summary>
    public Guid? OwnerUuid => Guid.TryParse(OwnerId, out var id) ? id : null;
}

/// <summary>The row a write produced: its id, and the version it replaced (whose bytes are now garbage).</summary>
internal sealed record ObjectWriteResult(Guid Id, string? ReplacedVersion);
