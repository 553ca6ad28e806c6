namespace MadBase.Edge.Database;

/// <summary>
/// The S3 parts a resumable upload has already stored while it was still receiving bytes: one row per part of the
/// multipart upload named in <c>tus_uploads.multipart_id</c>. A part is recorded only after S3 accepted it, and its
/// bytes lie below the durable offset (which never moves back), so after a restart only the missing parts are sent.
/// Rows of an older, aborted multipart upload are ignored (the key includes <c>multipart_id</c>) and go with the upload.
/// </summary>
internal static class Migration0004TusUploadParts
{
    public const string Sql = """
        create table if not exists madbase.tus_upload_parts (
          upload_id text not null references madbase.tus_uploads (id) on delete cascade,
          multipart_id text not null,
          part_number integer not null check (part_number between 1 and 10000),
          etag text not null,
          size bigint not null,
          primary key (upload_id, multipart_id, part_number)
        );
        revoke all on madbase.tus_upload_parts from public;
        """;
}
