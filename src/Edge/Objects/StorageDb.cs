using MadBase.Edge.Auth;
using Npgsql;

namespace MadBase.Edge.Objects;

/// <summary>Opening storage transactions and turning PostgreSQL errors into <see cref="StorageException"/>s.</summary>
internal static class StorageDb
{
    /// <summary>
    /// A <see cref="DbScope"/> as <paramref name="actor"/> (null = the server, which owns the tables and so bypasses
    /// RLS) with <c>storage.operation</c> set, so policies using <c>storage.operation()</c> see e.g. <c>storage.object.upload</c>.
    /// </summary>
    public static Task<DbScope> BeginAsync(NpgsqlDataSource dataSource, JwtClaims? actor, string operation, CancellationToken cancellationToken) =>
        DbScope.BeginAsync(dataSource, actor, cancellationToken, operation);

    /// <summary>Unlocks the <c>storage.protect_delete</c> triggers for this transaction only (migration 2).</summary>
    public static async Task AllowDeletesAsync(DbScope scope, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand("select set_config('storage.allow_delete_query', 'true', true)");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The client-facing meaning of a database error, or null when it is a server fault.</summary>
    public static StorageException? Translate(PostgresException ex, string what) => ex.SqlState switch
    {
        PostgresErrorCodes.InsufficientPrivilege when ex.MessageText.Contains("row-level security", StringComparison.Ordinal)
            => StorageException.RowLevelSecurity(what),
        PostgresErrorCodes.InsufficientPrivilege => StorageException.Unauthorized($"permission denied ({what}): {ex.MessageText}"),
        PostgresErrorCodes.UniqueViolation => StorageException.Duplicate(),
        PostgresErrorCodes.ForeignKeyViolation => StorageException.BucketNotFound(),
        _ => null,
    };
}
