namespace MadBase.Edge.Database;

/// <summary>
/// Resumable-upload state (<c>madbase.tus_uploads</c>): everything needed to resume, complete or sweep an upload
/// after a restart. The bytes themselves are in the scratch directory; <c>upload_offset</c> is only ever advanced
/// after those bytes were fsynced, so it never claims more than survives a crash. Only the server's login role
/// reads this table (no grants to anon/authenticated), so users cannot see each other's pending uploads.
/// </summary>
internal static class Migration0003TusUploads
{
    public const string Sql = """
        create table if not exists madbase.tus_uploads (
          id text primary key,
          bucket_id text,
          object_name text,
          version uuid not null,
          upload_length bigint,
          upload_offset bigint not null default 0,
          metadata text not null default '',
          content_type text not null default 'application/octet-stream',
          cache_control text not null default 'no-cache',
          user_metadata text,
          role text not null,
          owner_id text,
          claims text not null,
          upsert boolean not null default false,
          concat text,
          concat_parts text[],
          multipart_id text,
          status text not null default 'uploading' check (status in ('uploading', 'completed', 'expired')),
          created_at timestamptz not null default now(),
          expires_at timestamptz not null,
          lock_holder text,
          locked_until timestamptz
        );
        create index if not exists tus_uploads_expires_at on madbase.tus_uploads (expires_at);
        revoke all on madbase.tus_uploads from public;
        """;
}
