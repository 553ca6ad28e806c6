using MadBase.Edge.Auth;
using MadBase.Edge.Objects.S3;
using Npgsql;
using NpgsqlTypes;

namespace MadBase.Edge.Objects;

/// <summary>
/// Writes and reads <c>storage.objects</c> rows for the REST API and TUS completion. Every statement runs in a
/// <see cref="DbScope"/> as the caller (null actor = the server: signed URLs, public reads), so users' RLS policies
/// decide. The write protocol, shared by both APIs, is:
/// <list type="number">
/// <item><see cref="ProbeWriteAsync"/> before any byte is stored: the INSERT (or upsert) runs as the caller and is rolled back.</item>
/// <item>Bytes go to a fresh version key (<see cref="ObjectWrite.StoreKey"/>).</item>
/// <item><see cref="FinishWriteAsync"/> flips the row under a per-object advisory lock, again as the caller, then deletes
/// the replaced version's bytes; if the row cannot be written the new bytes are deleted instead.</item>
/// </list>
/// Concurrent non-upsert writers of one name: both may pass the probe, only the first commit wins, the others get 409.
/// Every write to <c>storage.objects</c> or <c>storage.buckets</c> commits through <see cref="CommitAsync"/>, which keeps
/// the <see cref="PublicRowCache"/> invariant.
/// </summary>
internal sealed class ObjectsRepository(NpgsqlDataSource dataSource, IObjectStore store, PublicRowCache publicRows, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger("MadBase.Edge.Objects.ObjectsRepository");
    private readonly PublicRowReads _publicReads = new();

    private static readonly string s_findPublicSql =
        $"select {string.Join(", ", ObjectRecord.Columns.Split(", ").Select(c => "o." + c))} from storage.buckets b "
        + "left join storage.objects o on o.bucket_id = b.id and o.name = $2 where b.id = $1 and b.public";

    public NpgsqlDataSource DataSource => dataSource;

    public IObjectStore Store => store;

    /// <summary>The bucket as the server sees it (limits and public flag apply whoever asks), or null.</summary>
    public async Task<BucketRecord?> GetBucketAsync(string bucketId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {BucketRecord.Columns} from storage.buckets where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? BucketRecord.Read(reader) : null;
    }

    /// <summary>
    /// Checks that <paramref name="actor"/> may write this row, without writing it: throws 403 (RLS; the message says
    /// whether INSERT alone or INSERT+SELECT+UPDATE for upsert was needed), 409 (exists, no upsert) or 404 (bucket).
    /// </summary>
    public async Task ProbeWriteAsync(ObjectWrite write, long? declaredSize, JwtClaims? actor, CancellationToken cancellationToken)
    {
        // What upstream's probe shows INSERT policies: only the declared type and length, not the final size or eTag.
        var metadata = ProbeMetadataJson(write.ContentType, declaredSize ?? 0);
        await using var scope = await StorageDb.BeginAsync(dataSource, actor, write.Operation, cancellationToken);
        try
        {
            await using var command = WriteCommand(scope, write, Guid.NewGuid(), metadata);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException ex) when (StorageDb.Translate(ex, Needed(write)) is { } error)
        {
            throw error;
        }

        // Disposal rolls the probe back.
    }

    /// <summary>
    /// Records stored bytes as the object's current version (see the class summary). Returns the row id. On failure
    /// the new bytes are deleted before the error propagates, so no unreferenced version is left behind.
    /// </summary>
    public async Task<ObjectWriteResult> FinishWriteAsync(ObjectWrite write, StoredBytes bytes, JwtClaims? actor, CancellationToken cancellationToken)
    {
        ObjectWriteResult result;
        try
        {
            var metadata = new ObjectMetadata(bytes.ETag, bytes.Size, write.ContentType, write.CacheControl, DateTimeOffset.UtcNow).ToJson();
            await using var scope = await StorageDb.BeginAsync(dataSource, actor, write.Operation, cancellationToken);
            await LockAsync(scope, write.BucketId, write.Name, cancellationToken);
            try
            {
                var id = Guid.NewGuid();
                await using var command = WriteCommand(scope, write, id, metadata);
                if (write.Upsert)
                {
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    await reader.ReadAsync(cancellationToken);
                    result = new ObjectWriteResult(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetString(1));
                }
                else
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    result = new ObjectWriteResult(id, null);
                }
            }
            catch (PostgresException ex) when (StorageDb.Translate(ex, Needed(write)) is { } error)
            {
                throw error;
            }

            await CommitAsync(scope, cancellationToken);
        }
        catch
        {
            await DeleteBytesAsync(write.StoreKey);
            throw;
        }

        if (result.ReplacedVersion is { } old && old != write.Version)
        {
            await DeleteBytesAsync(ObjectKeys.For(write.BucketId, write.Name, old));
        }

        Log.ObjectWritten(_logger, write.BucketId, write.Name, write.Version, bytes.Size);
        return result;
    }

    /// <summary>The row if <paramref name="actor"/> may SELECT it (null actor: the server sees every row).</summary>
    public async Task<ObjectRecord?> FindAsync(string bucketId, string name, JwtClaims? actor, string operation, CancellationToken cancellationToken)
    {
        const string sql = $"select {ObjectRecord.Columns} from storage.objects where bucket_id = $1 and name = $2";
        if (actor is null)
        {
            // The server's own reads (public and signed downloads) see every row: no role switch, no transaction,
            // one round trip instead of four — this is the hot path of public object serving.
            await using var direct = dataSource.CreateCommand(sql);
            direct.Parameters.Add(new NpgsqlParameter { Value = bucketId });
            direct.Parameters.Add(new NpgsqlParameter { Value = name });
            await using var directReader = await direct.ExecuteReaderAsync(cancellationToken);
            return await directReader.ReadAsync(cancellationToken) ? ObjectRecord.Read(directReader) : null;
        }

        // As the caller in one round trip (RLS decides): the settings and the select in one implicit transaction.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = DbScope.CreateReadBatch(connection, actor, operation, sql);
        batch.BatchCommands[1].Parameters.Add(new NpgsqlParameter { Value = bucketId });
        batch.BatchCommands[1].Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ObjectRecord.Read(reader) : null;
    }

    /// <summary>
    /// The row of <paramref name="name"/> if <paramref name="bucketId"/> is a public bucket, in one round trip (the
    /// hot path of public downloads). <c>PublicBucket</c> is false for a private or missing bucket: both read as
    /// "Bucket not found", revealing nothing.
    /// </summary>
    public async ValueTask<(bool PublicBucket, ObjectRecord? Row)> FindPublicAsync(string bucketId, string name, CancellationToken cancellationToken)
    {
        if (publicRows.TryGet(bucketId, name, out var held, out var refresh))
        {
            if (refresh)
            {
                _ = RefreshPublicAsync(bucketId, name);
            }

            return held;
        }

        return await _publicReads.Join(bucketId, name, publicRows.Generation, ReadPublicAsync).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A held public answer read again before it expires (<see cref="PublicRowCache"/>, "Read ahead"). Nobody waits for
    /// it (downloads that miss meanwhile join it): if it fails, the held answer expires as it would have and the next
    /// download asks the database itself.
    /// </summary>
    private async Task RefreshPublicAsync(string bucketId, string name)
    {
        try
        {
            await _publicReads.Join(bucketId, name, publicRows.Generation, ReadPublicAsync);
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }

    /// <param name="generation">The cache's generation taken before this query: a write committed meanwhile makes the answer a miss.</param>
    private async Task<(bool PublicBucket, ObjectRecord? Row)> ReadPublicAsync(string bucketId, string name, long generation)
    {
        await using var command = dataSource.CreateCommand(s_findPublicSql);
        command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        await using var reader = await command.ExecuteReaderAsync(CancellationToken.None);
        var answer = await reader.ReadAsync(CancellationToken.None) ? (true, reader.IsDBNull(0) ? null : ObjectRecord.Read(reader)) : (false, (ObjectRecord?)null);
        publicRows.Add(bucketId, name, answer, generation);
        return answer;
    }

    /// <summary>
    /// Commits a storage write (objects or buckets) made in <paramref name="scope"/>, then drops the public rows held:
    /// also when the commit fails, since a failed COMMIT may still have committed.
    /// </summary>
    public async Task CommitAsync(DbScope scope, CancellationToken cancellationToken)
    {
        try
        {
            await scope.CommitAsync(cancellationToken);
        }
        finally
        {
            publicRows.Invalidate();
        }
    }

    /// <summary>
    /// Deletes the named rows <paramref name="actor"/> may DELETE (and SELECT), then their bytes. Names the caller
    /// cannot see are skipped silently, as upstream does. Returns the deleted rows.
    /// </summary>
    public async Task<IReadOnlyList<ObjectRecord>> DeleteAsync(string bucketId, string[] names, JwtClaims? actor, CancellationToken cancellationToken)
    {
        var deleted = new List<ObjectRecord>(names.Length);
        await using (var scope = await StorageDb.BeginAsync(dataSource, actor, "storage.object.delete", cancellationToken))
        {
            await StorageDb.AllowDeletesAsync(scope, cancellationToken);
            await using var command = scope.CreateCommand(
                $"delete from storage.objects where bucket_id = $1 and name = any($2) returning {ObjectRecord.Columns}");
            command.Parameters.Add(new NpgsqlParameter { Value = bucketId });
            command.Parameters.Add(new NpgsqlParameter { Value = names, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    deleted.Add(ObjectRecord.Read(reader));
                }
            }
            catch (PostgresException ex) when (StorageDb.Translate(ex, "DELETE and SELECT policies on storage.objects") is { } error)
            {
                throw error;
            }

            await CommitAsync(scope, cancellationToken);
        }

        await DeleteBytesAsync([.. deleted.Where(r => r.Version is not null).Select(r => ObjectKeys.For(r.BucketId, r.Name, r.Version!))]);
        return deleted;
    }

    /// <summary>
    /// Renames a row to <paramref name="destinationBucket"/>/<paramref name="destinationName"/> pointing at bytes already
    /// copied to <paramref name="newVersion"/>, as <paramref name="actor"/> (needs SELECT + UPDATE). Fails with 409 if
    /// the destination exists and 404 if the source changed or vanished since it was read.
    /// </summary>
    public async Task<Guid> MoveAsync(ObjectRecord source, string destinationBucket, string destinationName, string newVersion, JwtClaims? actor, CancellationToken cancellationToken)
    {
        var newKey = ObjectKeys.For(destinationBucket, destinationName, newVersion);
        Guid id;
        try
        {
            await using var scope = await StorageDb.BeginAsync(dataSource, actor, "storage.object.move", cancellationToken);

            // Lock both names in a fixed order so two crossing moves cannot deadlock.
            var a = (source.BucketId, source.Name);
            var b = (destinationBucket, destinationName);
            var (first, second) = string.CompareOrdinal(a.BucketId + "/" + a.Name, b.destinationBucket + "/" + b.destinationName) <= 0 ? (a, b) : (b, a);
            await LockAsync(scope, first.Item1, first.Item2, cancellationToken);
            await LockAsync(scope, second.Item1, second.Item2, cancellationToken);
            await using var command = scope.CreateCommand(
                """
                update storage.objects set bucket_id = $3, name = $4, version = $5, owner = $6, owner_id = $7,
                       metadata = jsonb_set(coalesce(metadata, '{}'), '{lastModified}', to_jsonb($8::text))
                where bucket_id = $1 and name = $2 and version is not distinct from $9
                returning id
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = source.BucketId });
            command.Parameters.Add(new NpgsqlParameter { Value = source.Name });
            command.Parameters.Add(new NpgsqlParameter { Value = destinationBucket });
            command.Parameters.Add(new NpgsqlParameter { Value = destinationName });
            command.Parameters.Add(new NpgsqlParameter { Value = newVersion });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)actor?.SubjectUuid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)actor?.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = ObjectMetadata.FormatTimestamp(DateTimeOffset.UtcNow) });
            command.Parameters.Add(new NpgsqlParameter { Value = (object?)source.Version ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            try
            {
                var value = await command.ExecuteScalarAsync(cancellationToken);
                id = value is Guid g ? g : throw StorageException.ObjectNotFound();
            }
            catch (PostgresException ex) when (StorageDb.Translate(ex, "SELECT and UPDATE policies on storage.objects") is { } error)
            {
                throw error;
            }

            await CommitAsync(scope, cancellationToken);
        }
        catch
        {
            await DeleteBytesAsync(newKey);
            throw;
        }

        if (source.Version is { } oldVersion)
        {
            await DeleteBytesAsync(ObjectKeys.For(source.BucketId, source.Name, oldVersion));
        }

        return id;
    }

    /// <summary>Deletes bytes that no row references any more; a failure is logged, never surfaced (the row is the truth).</summary>
    public async Task DeleteBytesAsync(string key)
    {
        try
        {
            await store.DeleteAsync(key, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or S3Exception or HttpRequestException)
        {
            Log.OrphanedBytes(_logger, key, ex.Message);
        }
    }

    /// <summary>Batch form of <see cref="DeleteBytesAsync(string)"/>: one store call per 1000 keys on S3.</summary>
    public async Task DeleteBytesAsync(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0)
        {
            return;
        }

        try
        {
            await store.DeleteManyAsync(keys, CancellationToken.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or S3Exception or HttpRequestException)
        {
            Log.OrphanedBytes(_logger, keys.Count + " keys from " + keys[0], ex.Message);
        }
    }

    /// <summary>The per-object write lock TUS completion and REST uploads share: a transaction-scoped advisory lock.</summary>
    public static async Task LockAsync(DbScope scope, string bucketId, string name, CancellationToken cancellationToken)
    {
        await using var command = scope.CreateCommand("select pg_advisory_xact_lock(hashtextextended($1, 0))");
        command.Parameters.Add(new NpgsqlParameter { Value = "storage.objects/" + bucketId + "/" + name });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string ProbeMetadataJson(string contentType, long contentLength)
    {
        using var buffer = new MemoryStream(128);
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("mimetype", contentType);
            json.WriteNumber("contentLength", contentLength);
            json.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static string Needed(ObjectWrite write) => write.Upsert
        ? "upsert needs INSERT, SELECT and UPDATE policies on storage.objects"
        : "upload needs an INSERT policy on storage.objects";

    /// <summary>
    /// INSERT for a create; for an upsert, INSERT … ON CONFLICT DO UPDATE returning the replaced version (read in
    /// the same statement, so under the advisory lock it is exactly the row being replaced). The plain INSERT has no
    /// RETURNING because that would also demand a SELECT policy, which upstream does not require for uploads.
    /// </summary>
    private static NpgsqlCommand WriteCommand(DbScope scope, ObjectWrite write, Guid id, string metadataJson)
    {
        var command = scope.CreateCommand(write.Upsert
            ? """
              with old as (select version from storage.objects where bucket_id = $2 and name = $3)
              insert into storage.objects (id, bucket_id, name, owner, owner_id, version, metadata, user_metadata)
              values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
              on conflict (bucket_id, name) do update set
                owner = excluded.owner, owner_id = excluded.owner_id, version = excluded.version,
                metadata = excluded.metadata, user_metadata = excluded.user_metadata, last_accessed_at = now()
              returning id, (select version from old)
              """
            : """
              insert into storage.objects (id, bucket_id, name, owner, owner_id, version, metadata, user_metadata)
              values ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb)
              """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = write.BucketId });
        command.Parameters.Add(new NpgsqlParameter { Value = write.Name });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)write.OwnerUuid ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)write.OwnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = write.Version });
        command.Parameters.Add(new NpgsqlParameter { Value = metadataJson });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)write.UserMetadataJson ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        return command;
    }
}
