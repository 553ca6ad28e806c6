#!/usr/bin/env bash
# Reproduces the pgoutput vectors under tests/Protocol.Tests/Vectors/pgoutput/.
#
# Starts a throw-away PostgreSQL 15 cluster (127.0.0.1:54340, data in .madbase/pgcap), runs one workload per
# scenario against its own logical slot, and dumps every pgoutput message the slot produces through
# pg_logical_slot_peek_binary_changes: one message per line as lowercase hex, followed by "  # <kind> lsn=<lsn> xid=<xid>".
# The cluster is stopped (pg_ctl) on exit.
#
# Regenerating changes LSNs, xids, timestamps and relation OIDs. The tests only assert values that a rerun reproduces
# (names, tuple text, flags, counts) and the relations between LSNs (Begin.final_lsn == Commit.commit_lsn, ...).
#
# Usage: scripts/capture-pgoutput.sh            (run as root or as the postgres user)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
PGPORT="${PGPORT:-54340}"
DATA="$ROOT/.madbase/pgcap/data"
LOG="$ROOT/.madbase/pgcap/postgres.log"
OUT="$ROOT/tests/Protocol.Tests/Vectors/pgoutput"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$ROOT/.madbase/pgcap" "$OUT"
[ "$(id -u)" = 0 ] && chown postgres "$ROOT/.madbase/pgcap"
rm -rf "$DATA"
as_pg "$PGBIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null

# logical_decoding_work_mem is left at its default here and lowered per peek session for the streaming scenarios.
as_pg "$PGBIN/pg_ctl" -D "$DATA" -l "$LOG" -w start -o \
  "-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10 -c max_prepared_transactions=10 -c TimeZone=UTC" >/dev/null
trap 'as_pg "$PGBIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null' EXIT

psql_q() {
  as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres "$@"
}

# Workload statements: results are not interesting, errors still stop the script.
psql_run() {
  psql_q -o /dev/null "$@"
}

# dump <file> <slot> <header comment> <peek options...>: one line per pgoutput message.
dump() {
  local file="$1" slot="$2" header="$3"
  shift 3
  local opts=""
  for o in "$@"; do opts+=", $o"; done
  {
    echo "# $header"
    cat <<'LEGEND'
# One pgoutput message per line (the XLogData payload after its 25-byte header), big-endian; [xid] only inside S…E:
#   B final_lsn:8 commit_ts:8 xid:4 | C flags:1 commit_lsn:8 end_lsn:8 commit_ts:8 | O origin_lsn:8 name\0
#   R [xid] relid:4 ns\0 name\0 replident:1 ncols:2 {flags:1 name\0 typoid:4 typmod:4}* | Y [xid] oid:4 ns\0 name\0
#   I [xid] relid:4 'N' tuple | U [xid] relid:4 [('K'|'O') tuple] 'N' tuple | D [xid] relid:4 ('K'|'O') tuple
#   T [xid] nrels:4 flags:1 relid:4* | M [xid] flags:1 lsn:8 prefix\0 len:4 bytes
#   S xid:4 first:1 | E | c xid:4 flags:1 commit_lsn:8 end_lsn:8 ts:8 | A xid:4 subxid:4 [abort_lsn:8 abort_ts:8]
#   b prepare_lsn:8 end_lsn:8 ts:8 xid:4 gid\0 | P/p/K flags:1 lsn:8 end_lsn:8 ts:8 xid:4 gid\0
#   r flags:1 prepare_end_lsn:8 rollback_end_lsn:8 prepare_ts:8 rollback_ts:8 xid:4 gid\0
#   tuple = ncols:2 {'n' | 'u' | ('t'|'b') len:4 bytes}*
# Trailing "# K lsn=… xid=…": message kind, and the LSN/xid pg_logical_slot_peek_binary_changes reported for it.
LEGEND
    echo "# Captured from PostgreSQL $(psql_q -At -c 'SHOW server_version') by scripts/capture-pgoutput.sh; slot $slot, options:$opts"
    psql_q -At -c "SET logical_decoding_work_mem = '64kB';" -c "SELECT encode(data, 'hex') || '  # ' || chr(get_byte(data, 0)) || ' lsn=' || lsn || ' xid=' || xid FROM pg_logical_slot_peek_binary_changes('$slot', NULL, NULL$opts)"
  } >"$OUT/$file"
  echo "wrote $OUT/$file ($(grep -vc '^#' "$OUT/$file") messages)"
}

psql_run <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE DOMAIN posint AS int4 CHECK (VALUE > 0);
CREATE TABLE vec_t (id int PRIMARY KEY, s text, n numeric);
-- FULL identity: Update/Delete carry an 'O' tuple. big is EXTERNAL so a 5000-byte value is stored out of line
-- (uncompressed) and an UPDATE that leaves it alone sends 'u' for it.
CREATE TABLE vec_full (id int PRIMARY KEY, big text, m mood, p posint, b bytea, ts timestamptz, vc varchar(20));
ALTER TABLE vec_full REPLICA IDENTITY FULL;
ALTER TABLE vec_full ALTER COLUMN big SET STORAGE EXTERNAL;
CREATE TABLE vec_stream (id int PRIMARY KEY, payload text);
CREATE TABLE vec_bench (id bigint PRIMARY KEY, a int, b text, c timestamptz, d numeric);
CREATE PUBLICATION pub FOR TABLE vec_t, vec_full, vec_stream;
CREATE PUBLICATION pub_bench FOR TABLE vec_bench;
SELECT pg_replication_origin_create('vec_origin');
SQL

# --- Scenario 1: every v1 message kind (text and binary tuples) --------------------------------------------------
psql_run -c "SELECT pg_create_logical_replication_slot('cap_v1', 'pgoutput')"
psql_run <<'SQL'
INSERT INTO vec_t VALUES (1, 'é', NULL);
UPDATE vec_t SET id = 2, s = 'x' WHERE id = 1;   -- key change: 'K' old-key tuple
UPDATE vec_t SET s = 'y' WHERE id = 2;           -- plain update: 'N' only
DELETE FROM vec_t WHERE id = 2;                  -- 'K'
INSERT INTO vec_t VALUES (3, 'a', 1.5);
TRUNCATE vec_t;
TRUNCATE vec_t RESTART IDENTITY CASCADE;
SELECT pg_logical_emit_message(false, 'p', 'hi');
BEGIN;
INSERT INTO vec_t VALUES (4, 'm', 0);
SELECT pg_logical_emit_message(true, 'tx', 'payload');
COMMIT;
INSERT INTO vec_full VALUES (1, repeat('x', 5000), 'happy', 7, '\x00ff10', '2024-02-29 08:15:01.5+00', 'v');
UPDATE vec_full SET vc = 'changed' WHERE id = 1; -- 'O' with the detoasted old row, 'u' for big in the new row
DELETE FROM vec_full WHERE id = 1;               -- 'O'
ALTER TABLE vec_t ADD COLUMN extra int;          -- a fresh 'R' with 4 columns precedes the next change
INSERT INTO vec_t VALUES (6, 'after-ddl', 1, 42);
SELECT pg_replication_origin_session_setup('vec_origin');
BEGIN;
SELECT pg_replication_origin_xact_setup('0/DEADBEEF', '2024-01-01 00:00:00+00');
INSERT INTO vec_t VALUES (5, 'o', 2, NULL);
COMMIT;
SELECT pg_replication_origin_session_reset();
SQL
dump v1-text.hex cap_v1 "proto v1, text tuples: B R I C / K-update / N-update / D / T / M / FULL identity O + u / Y / origin O" \
  "'proto_version', '1'" "'publication_names', 'pub'" "'messages', 'true'"
dump v1-binary.hex cap_v1 "proto v1, binary=true: the same workload with 'b' tuples" \
  "'proto_version', '1'" "'publication_names', 'pub'" "'messages', 'true'" "'binary', 'true'"

# --- Scenario 2: v2 streaming (S/E/c/A, [xid] inside blocks, subtransaction abort) ------------------------------
psql_run -c "SELECT pg_create_logical_replication_slot('cap_stream', 'pgoutput')"
psql_run <<'SQL'
BEGIN;
INSERT INTO vec_stream SELECT g, repeat('s', 40) FROM generate_series(1, 700) g;
SELECT pg_logical_emit_message(true, 'in-stream', 'x');
SAVEPOINT sp;
INSERT INTO vec_stream SELECT g, 'r' FROM generate_series(100001, 100700) g;
ROLLBACK TO sp;
INSERT INTO vec_stream SELECT g, 'z' FROM generate_series(200001, 200400) g;
COMMIT;
BEGIN;
INSERT INTO vec_stream SELECT g, 'a' FROM generate_series(300001, 300700) g;
ROLLBACK;
INSERT INTO vec_t VALUES (7, 'plain', 1, 1);
SQL
dump v2-stream.hex cap_stream "proto v2, streaming=on, logical_decoding_work_mem=64kB: streamed commit with a rolled-back savepoint, streamed abort, a plain transaction" \
  "'proto_version', '2'" "'publication_names', 'pub'" "'messages', 'true'" "'streaming', 'on'"

# --- Scenario 3: v3 two-phase (b/P/K/r, and p for a streamed prepared transaction) -------------------------------
psql_run -c "SELECT pg_create_logical_replication_slot('cap_2pc', 'pgoutput', false, true)"
psql_run <<'SQL'
BEGIN;
INSERT INTO vec_t VALUES (10, 'p', 1, NULL);
PREPARE TRANSACTION 'gid-1';
COMMIT PREPARED 'gid-1';
BEGIN;
INSERT INTO vec_t VALUES (11, 'q', 1, NULL);
PREPARE TRANSACTION 'gid-2';
ROLLBACK PREPARED 'gid-2';
BEGIN;
INSERT INTO vec_stream SELECT g, repeat('p', 40) FROM generate_series(400001, 400700) g;
PREPARE TRANSACTION 'gid-3';
COMMIT PREPARED 'gid-3';
SQL
dump v3-twophase.hex cap_2pc "proto v3, two_phase=on, streaming=on: prepare + commit prepared, prepare + rollback prepared, streamed prepare" \
  "'proto_version', '3'" "'publication_names', 'pub'" "'two_phase', 'on'" "'streaming', 'on'"

# --- Scenario 4: benchmark replay stream (many small Insert/Update messages) ------------------------------------
psql_run -c "SELECT pg_create_logical_replication_slot('cap_bench', 'pgoutput')"
psql_run <<'SQL'
DO $$
BEGIN
  FOR t IN 0..9 LOOP
    INSERT INTO vec_bench
      SELECT g, g % 1000, md5(g::text) || md5((g + 1)::text), '2024-06-01 12:00:00+00'::timestamptz + g * interval '1 second', g / 7.0
      FROM generate_series(t * 100 + 1, t * 100 + 100) g;
    COMMIT;
  END LOOP;
  FOR t IN 0..9 LOOP
    UPDATE vec_bench SET a = a + 1, d = d * 2 WHERE id BETWEEN t * 100 + 1 AND t * 100 + 100;
    COMMIT;
  END LOOP;
END $$;
SQL
dump bench-v1.hex cap_bench "proto v1, text: 10 transactions of 100 inserts, then 10 of 100 updates (benchmark replay data)" \
  "'proto_version', '1'" "'publication_names', 'pub_bench'"
