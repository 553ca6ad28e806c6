using MadBase.Edge.Objects;
using Npgsql;

namespace MadBase.Edge.Tus;

/// <summary>An S3 part an upload stored, with the CRC-32 of the bytes that were sent (null for rows older than the column).</summary>
internal sealed record RecordedPart(MultipartPart Part, uint? Crc);

/// <summary><c>madbase.tus_upload_parts</c>: the S3 parts an upload has stored so far (see <see cref="ProgressiveParts"/>).</summary>
internal sealed class UploadPartRepository(NpgsqlDataSource dataSource)
{
    public async Task<List<RecordedPart>> ListAsync(string uploadId, string multipartId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select part_number, etag, size, crc32 from madbase.tus_upload_parts where upload_id = $1 and multipart_id = $2 order by part_number");
        command.Parameters.Add(new NpgsqlParameter { Value = uploadId });
        command.Parameters.Add(new NpgsqlParameter { Value = multipartId });
        var parts = new List<RecordedPart>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var crc = reader.IsDBNull(3) ? (uint?)null : (uint)reader.GetInt64(3);
            parts.Add(new RecordedPart(new MultipartPart(reader.GetInt32(0), reader.GetString(1), reader.GetInt64(2)), crc));
        }

        return parts;
    }

    /// <summary>Records a part S3 accepted; uploading the same part again (after a crash) replaces the row.</summary>
    public async Task SaveAsync(string uploadId, string multipartId, MultipartPart part, uint crc, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            insert into madbase.tus_upload_parts (upload_id, multipart_id, part_number, etag, size, crc32) values ($1, $2, $3, $4, $5, $6)
            on conflict (upload_id, multipart_id, part_number) do update set etag = excluded.etag, size = excluded.size, crc32 = excluded.crc32
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = uploadId });
        command.Parameters.Add(new NpgsqlParameter { Value = multipartId });
        command.Parameters.Add(new NpgsqlParameter { Value = part.PartNumber });
        command.Parameters.Add(new NpgsqlParameter { Value = part.ETag });
        command.Parameters.Add(new NpgsqlParameter { Value = part.Size });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)crc });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
