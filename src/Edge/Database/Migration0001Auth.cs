namespace MadBase.Edge.Database;

/// <summary>
/// Supabase's API roles and the <c>auth.uid()/role()/email()/jwt()</c> helpers user policies call. Everything is
/// created only when absent: a database that already has GoTrue's versions keeps them.
/// </summary>
internal static class Migration0001Auth
{
    public const string Sql = """
        -- Roles are cluster-wide, so two databases migrating at once can race on CREATE ROLE:
        -- the loser sees duplicate_object or unique_violation, both meaning "already there".
        do $$
        declare r text;
        begin
          foreach r in array array['anon', 'authenticated', 'service_role'] loop
            if not exists (select 1 from pg_roles where rolname = r) then
              begin
                execute format('create role %I nologin noinherit', r);
              exception when duplicate_object or unique_violation then null;
              end;
            end if;
          end loop;
          if not (select rolbypassrls from pg_roles where rolname = 'service_role') then
            alter role service_role bypassrls;
          end if;
        end $$;

        -- The connecting user switches into these roles with SET LOCAL ROLE.
        do $$
        declare r text;
        begin
          foreach r in array array['anon', 'authenticated', 'service_role'] loop
            if not pg_has_role(current_user, r, 'member') then
              execute format('grant %I to %I', r, current_user);
            end if;
          end loop;
        end $$;

        create schema if not exists auth;
        grant usage on schema auth to anon, authenticated, service_role;

        do $$
        begin
          if to_regprocedure('auth.uid()') is null then
            create function auth.uid() returns uuid language sql stable as $f$
              select coalesce(
                nullif(current_setting('request.jwt.claim.sub', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
              )::uuid
            $f$;
          end if;
          if to_regprocedure('auth.role()') is null then
            create function auth.role() returns text language sql stable as $f$
              select coalesce(
                nullif(current_setting('request.jwt.claim.role', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'
              )
            $f$;
          end if;
          if to_regprocedure('auth.email()') is null then
            create function auth.email() returns text language sql stable as $f$
              select coalesce(
                nullif(current_setting('request.jwt.claim.email', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'
              )
            $f$;
          end if;
          if to_regprocedure('auth.jwt()') is null then
            create function auth.jwt() returns jsonb language sql stable as $f$
              select coalesce(
                nullif(current_setting('request.jwt.claim', true), ''),
                nullif(current_setting('request.jwt.claims', true), '')
              )::jsonb
            $f$;
          end if;
        end $$;

        grant execute on all functions in schema auth to anon, authenticated, service_role;
        """;
}
