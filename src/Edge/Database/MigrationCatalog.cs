namespace MadBase.Edge.Database;

/// <summary>Every migration, in order. Append new steps at the end with the next version number.</summary>
internal static class MigrationCatalog
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "roles-and-auth-functions", Migration0001Auth.Sql),
        new(2, "storage-schema", Migration0002Storage.Sql),

        // Version 3 is reserved for the storage REST branch; versions are applied by number, gaps allowed.
        new(3, "tus-uploads", Migration0003TusUploads.Sql),
        new(4, "tus-upload-parts", Migration0004TusUploadParts.Sql),
        new(5, "realtime-messages", Migration0005RealtimeMessages.Sql),
        new(6, "tus-upload-integrity", Migration0006TusUploadIntegrity.Sql),
        new(7, "realtime-broadcast-helpers", Migration0007RealtimeBroadcastHelpers.Sql),
    ];
}
