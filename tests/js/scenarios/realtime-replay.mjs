// Broadcast replay with supabase-js: `config.broadcast.replay: { since, limit }` on private channels. The test stores
// EDGE_STORED messages in EDGE_TOPIC with realtime.send() (plus one older than EDGE_SINCE) before this runs, waits
// for READY, then sends EDGE_LIVE more. Expected: the newest `limit` stored messages (all of them without a limit, up
// to 25) with meta.replayed, oldest first, then every live message once. User B may not read EDGE_ROOM: refused.
// supabase-js itself refuses replay on a public channel (it throws at subscribe).
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { client, url, anonKey, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const topic = process.env.EDGE_TOPIC;
const since = Number(process.env.EDGE_SINCE);
const stored = Number(process.env.EDGE_STORED);
const live = Number(process.env.EDGE_LIVE);

async function userClient(token) {
  const c = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket, heartbeatIntervalMs: 1000 },
  });
  await c.realtime.setAuth();
  return c;
}

const a = await userClient(process.env.EDGE_TOKEN_A);
const b = await userClient(process.env.EDGE_TOKEN_B);
const pub = client();

const got = { limited: [], all: [] };
const record = (list) => (m) => list.push({ event: m.event, n: m.payload.n, id: m.meta?.id, payloadId: m.payload.id, replayed: m.meta?.replayed ?? false });
const limited = a.channel(topic, { config: { private: true, broadcast: { replay: { since, limit: 3 } } } });
limited.on('broadcast', { event: '*' }, record(got.limited));
const all = b.channel(topic, { config: { private: true, broadcast: { replay: { since } } } }); // lobby-*: B reads too
all.on('broadcast', { event: '*' }, record(got.all));
const joinLimited = await subscribe(limited);
const joinAll = await subscribe(all);

const refused = b.channel(process.env.EDGE_ROOM, { config: { private: true, broadcast: { replay: { since: 0 } } } });
const joinRefused = await subscribe(refused);
await b.removeChannel(refused);

let publicError = null;
try {
  pub.channel(topic, { config: { broadcast: { replay: { since: 0 } } } }).subscribe();
} catch (e) {
  publicError = String(e.message ?? e);
}

await waitFor(() => got.limited.length >= 3 && got.all.length >= stored, 10000, 'replayed messages');
console.log('READY');
await waitFor(() => got.limited.length >= 3 + live && got.all.length >= stored + live, 15000, 'live messages');
await sleep(500); // a duplicate would arrive by now

done({ joinLimited, joinAll, joinRefused, publicError, got }, a, b, pub);
