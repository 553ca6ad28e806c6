namespace MadBase.Edge.Database;

/// <summary>
/// What lets a resumable upload prove that the bytes below its offset are really held (see
/// <c>Uploads/ScratchGuard</c>): <c>scratch_identity</c>, the identity of the scratch file the offset counts bytes in;
/// <c>scratch_base</c>, where that file's bytes start (above 0 only when the bytes below are already in S3 parts and
/// the scratch file had to be started afresh); <c>received_crc32</c>, the CRC-32 of bytes 0..upload_offset as they
/// were received, advanced in the same statement as the offset; and each S3 part's own CRC-32, so completion can
/// check that the parts add up to exactly what was received. Rows from before this step have nulls: they are
/// completed as before, unchecked.
/// </summary>
internal static class Migration0006TusUploadIntegrity
{
    public const string Sql = """
        alter table madbase.tus_uploads
          add column if not exists scratch_identity text,
          add column if not exists scratch_base bigint not null default 0,
          add column if not exists received_crc32 bigint;
        alter table madbase.tus_upload_parts
          add column if not exists crc32 bigint;
        """;
}
