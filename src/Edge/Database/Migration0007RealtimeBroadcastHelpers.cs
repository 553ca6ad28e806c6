namespace MadBase.Edge.Database;

/// <summary>
/// Upstream's two newer ways to broadcast from the database (docs/protocol/realtime.md §Broadcast from the database):
/// <c>realtime.send_binary(bytea, event, topic, private)</c>, which stores raw bytes in the new column
/// <c>realtime.messages.binary_payload</c> (a row holds either <c>payload</c> or <c>binary_payload</c>), and the
/// trigger helper <c>realtime.broadcast_changes(topic, event, operation, table, schema, NEW, OLD, level)</c>, which
/// sends <c>{old_record, record, operation, table, schema}</c> through <c>realtime.send()</c>. Both reach clients through
/// the same replication path as <c>realtime.send()</c>. Functions are created only when absent, like migration 5's:
/// a database that already has Supabase's realtime schema keeps its own.
/// </summary>
internal static class Migration0007RealtimeBroadcastHelpers
{
    public const string Sql = """
        alter table realtime.messages add column if not exists binary_payload bytea;

        do $$
        begin
          if not exists (select 1 from pg_constraint
                          where conrelid = 'realtime.messages'::regclass and conname = 'messages_payload_exclusive') then
            alter table realtime.messages add constraint messages_payload_exclusive
              check (payload is null or binary_payload is null) not valid;
          end if;

          -- Raw bytes for vsn 2.0.0 clients (a binary frame, byte for byte); vsn 1.0.0 clients cannot receive them.
          -- Like realtime.send(): realtime.topic is set for the caller's INSERT policy, and a failure is a warning
          -- that never aborts the caller's transaction.
          if to_regprocedure('realtime.send_binary(bytea, text, text, boolean)') is null then
            create function realtime.send_binary(payload bytea, event text, topic text, private boolean default true)
            returns void language plpgsql volatile as $f$
            begin
              begin
                perform set_config('realtime.topic', topic, true);
                insert into realtime.messages (id, binary_payload, event, topic, private, extension)
                values (gen_random_uuid(), payload, event, topic, private, 'broadcast');
              exception when others then
                raise warning 'WarnSendingBroadcastMessage: %', sqlerrm;
              end;
            end
            $f$;
          end if;

          -- For row triggers: one broadcast per changed row, the rows as JSON. Unlike realtime.send(), a failure here
          -- aborts the statement (upstream's behaviour), so a trigger never silently loses a change.
          if to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)') is null then
            create function realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
                                                       table_schema text, new record, old record, level text default 'ROW')
            returns void language plpgsql volatile as $f$
            begin
              if level = 'STATEMENT' then
                raise exception 'function can only be triggered for each row, not for each statement';
              end if;
              if operation not in ('INSERT', 'UPDATE', 'DELETE') then
                raise exception 'Unexpected operation type: %', operation;
              end if;
              perform realtime.send(
                jsonb_build_object('old_record', old, 'record', new, 'operation', operation,
                                   'table', table_name, 'schema', table_schema),
                event_name, topic_name);
            exception when others then
              raise exception 'Failed to process the row: %', sqlerrm;
            end
            $f$;
          end if;
        end $$;

        grant execute on function realtime.send_binary(bytea, text, text, boolean) to anon, authenticated, service_role;
        grant execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
          to anon, authenticated, service_role;
        """;
}
