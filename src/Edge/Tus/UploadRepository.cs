using Npgsql;

namespace MadBase.Edge.Tus;

/// <summary>
/// Reads and writes <c>madbase.tus_uploads</c> as the server's own login role. Each call is one short statement
/// on a pooled connection: no connection is held while request bytes stream (the cause of pool exhaustion in
/// upstream's design, docs/protocol/tus-and-storage.md §Locking).
/// </summary>
internal sealed class UploadRepository(NpgsqlDataSource dataSource)
{
    private const string Columns =
        "id, bucket_id, object_name, version, upload_length, upload_offset, metadata, content_type, cache_control, user_metadata, " +
        "role, owner_id, claims, upsert, concat, concat_parts, multipart_id, status, created_at, expires_at, " +
        "scratch_identity, scratch_base, received_crc32";

    public async Task InsertAsync(UploadRecord record, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"insert into madbase.tus_uploads ({Columns}) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)");
        command.Parameters.Add(new NpgsqlParameter { Value = record.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.BucketId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.ObjectName ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Version });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.Length ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Offset });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Metadata });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ContentType });
        command.Parameters.Add(new NpgsqlParameter { Value = record.CacheControl });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.UserMetadata ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Role });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.OwnerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Claims });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Upsert });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.Concat ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ConcatParts.ToArray(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.MultipartId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.Status });
        command.Parameters.Add(new NpgsqlParameter { Value = record.CreatedAt });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ExpiresAt });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)record.ScratchIdentity ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = record.ScratchBase });
        command.Parameters.Add(CrcParameter(record.ReceivedCrc));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<UploadRecord?> GetAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {Columns} from madbase.tus_uploads where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Takes the cross-process lease: succeeds when the row is unleased, the lease ran out (its holder died), or
    /// <paramref name="holder"/> already holds it. The in-process lock in front of it makes contention here rare.
    /// </summary>
    public async Task<bool> TryLeaseAsync(string id, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            update madbase.tus_uploads set lock_holder = $2, locked_until = now() + $3
             where id = $1 and (locked_until is null or locked_until < now() or lock_holder = $2)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = duration });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>The holder of the upload's unexpired lease, or null.</summary>
    public async Task<string?> LeaseHolderAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select lock_holder from madbase.tus_uploads where id = $1 and locked_until >= now()");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Takes the lease from <paramref name="deadHolder"/> (a node the cluster knows is down), if it still holds it.</summary>
    public async Task<bool> TakeOverLeaseAsync(string id, string deadHolder, string holder, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set lock_holder = $3, locked_until = now() + $4 where id = $1 and lock_holder = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = deadHolder });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        command.Parameters.Add(new NpgsqlParameter { Value = duration });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseLeaseAsync(string id, string holder, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set lock_holder = null, locked_until = null where id = $1 and lock_holder = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A restarted instance drops the leases its previous life held: those requests died with it.</summary>
    public async Task<int> ReleaseStaleLeasesAsync(string instance, string holder, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set lock_holder = null, locked_until = null where starts_with(lock_holder, $1) and lock_holder <> $2");
        command.Parameters.Add(new NpgsqlParameter { Value = instance + "|" });
        command.Parameters.Add(new NpgsqlParameter { Value = holder });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Persists a new durable offset with the CRC of the bytes below it (and the length when a deferred upload just
    /// learned it): one statement, so the two never disagree.
    /// </summary>
    public async Task SaveProgressAsync(string id, long offset, long? length, uint? receivedCrc, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set upload_offset = $2, upload_length = coalesce(upload_length, $3), received_crc32 = $4 where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = offset });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)length ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(CrcParameter(receivedCrc));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Moves an upload back to what is really held (<see cref="UploadRollback"/>): the offset, its CRC, the new
    /// scratch file's identity (its bytes start at the offset). The first <paramref name="keptParts"/> recorded S3
    /// parts stay; with none kept the multipart upload is forgotten as well (the caller aborted it).
    /// </summary>
    public async Task RollBackAsync(string id, long offset, uint receivedCrc, string? scratchIdentity, int keptParts, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with stale as (delete from madbase.tus_upload_parts where upload_id = $1 and part_number > $5)
            update madbase.tus_uploads
               set upload_offset = $2, received_crc32 = $3, scratch_identity = $4, scratch_base = $2,
                   multipart_id = case when $5 > 0 then multipart_id end
             where id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = offset });
        command.Parameters.Add(CrcParameter(receivedCrc));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)scratchIdentity ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = keptParts });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A scratch file rebuilt from S3 (<see cref="UploadTails"/>): the offset stays; parts above the kept ones go.</summary>
    public async Task RebaseScratchAsync(string id, string? scratchIdentity, long scratchBase, int keptParts, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            with stale as (delete from madbase.tus_upload_parts where upload_id = $1 and part_number > $4)
            update madbase.tus_uploads
               set scratch_identity = $2, scratch_base = $3, multipart_id = case when $4 > 0 then multipart_id end
             where id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)scratchIdentity ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = scratchBase });
        command.Parameters.Add(new NpgsqlParameter { Value = keptParts });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task MarkCompletedAsync(string id, long length, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set status = 'completed', upload_offset = $2, upload_length = $2, multipart_id = null where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = length });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task SetMultipartAsync(string id, string? multipartId, CancellationToken cancellationToken)
    {
        // Parts of any other multipart upload are useless from here on (it was aborted or completed).
        await using var command = dataSource.CreateCommand(
            """
            with stale as (delete from madbase.tus_upload_parts where upload_id = $1 and multipart_id is distinct from $2)
            update madbase.tus_uploads set multipart_id = $2 where id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)multipartId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Records <paramref name="multipartId"/> as the upload's multipart upload unless the row names one already; returns
    /// the one the row names afterwards (ours, or the one recorded first), or null when the upload is gone. One
    /// statement, so two writers never both believe they recorded theirs.
    /// </summary>
    public async Task<string?> ClaimMultipartAsync(string id, string multipartId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set multipart_id = coalesce(multipart_id, $2) where id = $1 returning multipart_id");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = multipartId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("delete from madbase.tus_uploads where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Unfinished uploads past their expiry that nobody is writing to: the sweeper's work list.</summary>
    public async Task<List<UploadRecord>> ListExpiredAsync(int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            select {Columns} from madbase.tus_uploads
             where status <> 'expired' and expires_at < now() and (locked_until is null or locked_until < now())
             order by expires_at limit $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var list = new List<UploadRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(Read(reader));
        }

        return list;
    }

    /// <summary>
    /// Expired uploads stay as tombstones for one more expiry period so clients get 410 (not 404) and stop retrying;
    /// <see cref="PurgeTombstonesAsync"/> removes them after that.
    /// </summary>
    public async Task MarkExpiredAsync(string id, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update madbase.tus_uploads set status = 'expired', multipart_id = null, upload_offset = 0 where id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<int> PurgeTombstonesAsync(TimeSpan keep, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "delete from madbase.tus_uploads where status = 'expired' and expires_at < now() - $1");
        command.Parameters.Add(new NpgsqlParameter { Value = keep });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static UploadRecord Read(NpgsqlDataReader r) => new()
    {
        Id = r.GetString(0),
        BucketId = r.IsDBNull(1) ? null : r.GetString(1),
        ObjectName = r.IsDBNull(2) ? null : r.GetString(2),
        Version = r.GetGuid(3),
        Length = r.IsDBNull(4) ? null : r.GetInt64(4),
        Offset = r.GetInt64(5),
        Metadata = r.GetString(6),
        ContentType = r.GetString(7),
        CacheControl = r.GetString(8),
        UserMetadata = r.IsDBNull(9) ? null : r.GetString(9),
        Role = r.GetString(10),
        OwnerId = r.IsDBNull(11) ? null : r.GetString(11),
        Claims = r.GetString(12),
        Upsert = r.GetBoolean(13),
        Concat = r.IsDBNull(14) ? null : r.GetString(14),
        ConcatParts = r.IsDBNull(15) ? [] : r.GetFieldValue<string[]>(15),
        MultipartId = r.IsDBNull(16) ? null : r.GetString(16),
        Status = r.GetString(17),
        CreatedAt = r.GetFieldValue<DateTimeOffset>(18),
        ExpiresAt = r.GetFieldValue<DateTimeOffset>(19),
        ScratchIdentity = r.IsDBNull(20) ? null : r.GetString(20),
        ScratchBase = r.GetInt64(21),
        ReceivedCrc = r.IsDBNull(22) ? null : (uint)r.GetInt64(22),
    };

    private static NpgsqlParameter CrcParameter(uint? crc) => new()
    {
        Value = crc is { } value ? (long)value : DBNull.Value,
        NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint,
    };
}
