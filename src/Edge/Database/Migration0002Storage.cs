namespace MadBase.Edge.Database;

/// <summary>
/// The Supabase-compatible <c>storage</c> schema: table and column names, types, the unique (bucket_id, name)
/// index and the helper functions that users' existing RLS policies depend on.
/// </summary>
internal static class Migration0002Storage
{
    public const string Sql = """
        create schema if not exists storage;
        grant usage on schema storage to anon, authenticated, service_role;

        do $$
        begin
          if to_regtype('storage.buckettype') is null then
            create type storage.buckettype as enum ('STANDARD', 'ANALYTICS', 'VECTOR');
          end if;
        end $$;

        create table if not exists storage.buckets (
          id text primary key,
          name text not null,
          owner uuid,
          created_at timestamptz default now(),
          updated_at timestamptz default now(),
          public boolean default false,
          avif_autodetection boolean default false,
          file_size_limit bigint,
          allowed_mime_types text[],
          owner_id text,
          type storage.buckettype not null default 'STANDARD',
          versioning_status text not null default 'DISABLED'
        );
        create unique index if not exists bname on storage.buckets using btree (name);

        create table if not exists storage.objects (
          id uuid primary key default gen_random_uuid(),
          bucket_id text references storage.buckets (id),
          name text,
          owner uuid,
          created_at timestamptz default now(),
          updated_at timestamptz default now(),
          last_accessed_at timestamptz default now(),
          metadata jsonb,
          path_tokens text[] generated always as (string_to_array(name, '/')) stored,
          version text,
          owner_id text,
          user_metadata jsonb,
          archived_at timestamptz,
          is_delete_marker boolean not null default false,
          is_versioned boolean not null default false
        );
        create unique index if not exists bucketid_objname on storage.objects using btree (bucket_id, name);
        create index if not exists idx_objects_bucket_id_name on storage.objects (bucket_id, name collate "C");
        create index if not exists idx_objects_bucket_id_name_lower on storage.objects (bucket_id, lower(name) collate "C");
        create index if not exists name_prefix_search on storage.objects using btree (name text_pattern_ops);

        create table if not exists storage.migrations (
          id integer primary key,
          name varchar(100) unique not null,
          hash varchar(40) not null,
          executed_at timestamp default current_timestamp
        );

        create or replace function storage.foldername(name text) returns text[]
          language sql immutable as $f$
            select (string_to_array(name, '/'))[1:greatest(array_length(string_to_array(name, '/'), 1) - 1, 0)]
          $f$;
        create or replace function storage.filename(name text) returns text
          language sql immutable as $f$
            select (string_to_array(name, '/'))[array_length(string_to_array(name, '/'), 1)]
          $f$;
        create or replace function storage.extension(name text) returns text
          language sql immutable as $f$
            select reverse(split_part(reverse(storage.filename(name)), '.', 1))
          $f$;
        create or replace function storage.operation() returns text
          language sql stable as $f$ select current_setting('storage.operation', true) $f$;

        create or replace function storage.update_updated_at_column() returns trigger
          language plpgsql as $f$ begin new.updated_at = now(); return new; end $f$;
        drop trigger if exists update_objects_updated_at on storage.objects;
        create trigger update_objects_updated_at before update on storage.objects
          for each row execute function storage.update_updated_at_column();

        create or replace function storage.enforce_bucket_name_length() returns trigger
          language plpgsql as $f$
          begin
            if length(new.name) > 100 then
              raise exception 'bucket name "%" is too long (% characters). Max is 100.', new.name, length(new.name);
            end if;
            return new;
          end $f$;
        drop trigger if exists enforce_bucket_name_length_trigger on storage.buckets;
        create trigger enforce_bucket_name_length_trigger before insert or update of name on storage.buckets
          for each row execute function storage.enforce_bucket_name_length();

        -- Deleting rows by hand orphans the bytes in the object store; the server sets
        -- storage.allow_delete_query for its own deletes, as Supabase's server does.
        create or replace function storage.protect_delete() returns trigger
          language plpgsql as $f$
          begin
            if coalesce(current_setting('storage.allow_delete_query', true), 'false') <> 'true' then
              raise exception 'Direct deletion from storage tables is not allowed. Use the Storage API instead.'
                using errcode = '42501';
            end if;
            return null;
          end $f$;
        drop trigger if exists protect_buckets_delete on storage.buckets;
        create trigger protect_buckets_delete before delete on storage.buckets
          for each statement execute function storage.protect_delete();
        drop trigger if exists protect_objects_delete on storage.objects;
        create trigger protect_objects_delete before delete on storage.objects
          for each statement execute function storage.protect_delete();

        alter table storage.buckets enable row level security;
        alter table storage.objects enable row level security;
        alter table storage.migrations enable row level security;

        grant all on storage.buckets, storage.objects, storage.migrations to anon, authenticated, service_role;
        grant execute on all functions in schema storage to anon, authenticated, service_role;
        """;
}
