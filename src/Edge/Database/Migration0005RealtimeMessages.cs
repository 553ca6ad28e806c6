namespace MadBase.Edge.Database;

/// <summary>
/// Supabase Realtime Authorization (docs/protocol/realtime.md §Private channels): the <c>realtime</c> schema with
/// <c>realtime.messages</c>, whose Row Level Security policies decide who may read (SELECT) and write (INSERT) each
/// private channel topic, <c>realtime.topic()</c> for those policies, and <c>realtime.send()</c>. The server inserts
/// probe rows as itself (the owner, so RLS does not apply), switches to the caller's role and claims, and checks which
/// rows it can see or insert, always rolling back. anon, authenticated and service_role get the same grants as
/// upstream, so that only the user's policies decide. Objects are created only when absent: a database that already has
/// Supabase's realtime schema keeps its own.
/// </summary>
internal static class Migration0005RealtimeMessages
{
    public const string Sql = """
        create schema if not exists realtime;
        grant usage on schema realtime to anon, authenticated, service_role;

        create table if not exists realtime.messages (
          topic text not null,
          extension text not null,
          payload jsonb,
          event text,
          private boolean default false,
          updated_at timestamp not null default now(),
          inserted_at timestamp not null default now(),
          id uuid not null default gen_random_uuid(),
          primary key (id, inserted_at)
        );
        create index if not exists messages_topic_idx on realtime.messages (topic);
        alter table realtime.messages enable row level security;
        grant select, insert, update on realtime.messages to anon, authenticated, service_role;

        do $$
        begin
          if to_regprocedure('realtime.topic()') is null then
            create function realtime.topic() returns text language sql stable as $f$
              select nullif(current_setting('realtime.topic', true), '')::text
            $f$;
          end if;

          -- From the database: one broadcast row per call. The payload gets the row's id unless it has one, and
          -- realtime.topic is set so the caller's INSERT policy sees the topic. A failure is reported as a warning
          -- and never aborts the caller's transaction (triggers call this).
          if to_regprocedure('realtime.send(jsonb, text, text, boolean)') is null then
            create function realtime.send(payload jsonb, event text, topic text, private boolean default true)
            returns void language plpgsql volatile as $f$
            declare
              message_id uuid := gen_random_uuid();
            begin
              begin
                perform set_config('realtime.topic', topic, true);
                insert into realtime.messages (id, payload, event, topic, private, extension)
                values (
                  message_id,
                  case when payload ? 'id' then payload else payload || jsonb_build_object('id', message_id) end,
                  event, topic, private, 'broadcast');
              exception when others then
                raise warning 'realtime.send failed: %', sqlerrm;
              end;
            end
            $f$;
          end if;
        end $$;

        grant execute on function realtime.topic() to anon, authenticated, service_role;
        grant execute on function realtime.send(jsonb, text, text, boolean) to anon, authenticated, service_role;
        """;
}
