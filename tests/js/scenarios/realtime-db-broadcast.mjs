// Broadcasts from the database to a private channel through supabase-js: realtime.broadcast_changes() from a row
// trigger (INSERT, UPDATE, DELETE) and realtime.send_binary(). User A joins its room twice, with vsn 2.0.0 (the
// default: binary frames) and vsn 1.0.0 (text only, so it cannot receive raw bytes). The test runs the SQL once both
// joins are counted in /metrics; this script waits for EDGE_EXPECT_V2 / EDGE_EXPECT_V1 messages, lingers, and prints
// what each client got: event, payload (binary as hex) and meta.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { url, anonKey, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const token = process.env.EDGE_TOKEN_A;
const room = process.env.EDGE_ROOM;

async function userClient(vsn) {
  const c = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket, heartbeatIntervalMs: 1000, vsn },
  });
  await c.realtime.setAuth();
  return c;
}

const got = { v2: [], v1: [] };
const record = (into) => (m) => got[into].push({
  event: m.event,
  binary: m.payload instanceof ArrayBuffer,
  payload: m.payload instanceof ArrayBuffer ? Buffer.from(m.payload).toString('hex') : m.payload,
  meta: m.meta ?? null,
});
const v2 = await userClient('2.0.0');
const v1 = await userClient('1.0.0');
const ch2 = v2.channel(room, { config: { private: true } }).on('broadcast', { event: '*' }, record('v2'));
const ch1 = v1.channel(room, { config: { private: true } }).on('broadcast', { event: '*' }, record('v1'));
const joins = { v2: (await subscribe(ch2)).status, v1: (await subscribe(ch1)).status };

await waitFor(() => got.v2.length >= Number(process.env.EDGE_EXPECT_V2) && got.v1.length >= Number(process.env.EDGE_EXPECT_V1), 30000, 'database broadcasts');
await sleep(1000); // anything extra (a binary frame for v1) would arrive now
done({ joins, got }, v2, v1);
