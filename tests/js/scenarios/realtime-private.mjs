// Private channels (Realtime Authorization) with supabase-js and the policies the test installs:
//   select: realtime.topic() = 'room-' || auth.uid()  or  realtime.topic() like 'lobby-%'
//   insert: realtime.topic() = 'room-' || auth.uid()
// User A owns room-<A>: reads, writes, tracks. User B is refused there. In lobby-* everyone reads but nobody
// writes: sends are dropped (no ack), tracks refused. A public channel of the same name is a separate topic.
// REST: send() before joining (batch endpoint) and httpSend() follow the INSERT policy too.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { client, url, anonKey, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const tokenA = process.env.EDGE_TOKEN_A;
const tokenB = process.env.EDGE_TOKEN_B;
const room = process.env.EDGE_ROOM;
const lobby = `lobby-${process.pid}`;

// A signed-in user as supabase-js sees one: the `accessToken` option (third-party auth) feeds the session token
// to Realtime joins, refreshes and REST calls. (realtime.setAuth(token) on an anon client is not sticky: after
// the first join supabase-js asks its auth client again and falls back to the anon key.)
async function userClient(token) {
  const c = createClient(url, anonKey, {
    accessToken: async () => token,
    realtime: { transport: WebSocket, heartbeatIntervalMs: 1000 },
  });
  await c.realtime.setAuth(); // resolves the token before the first join
  return c;
}

const a1 = await userClient(tokenA);
const a2 = await userClient(tokenA);
const b = await userClient(tokenB);
const pub = client();
const restA = await userClient(tokenA);
const restB = await userClient(tokenB);

const got = { a1: [], a2: [], pub: [], lobbyB: [] };
const chA1 = a1.channel(room, { config: { private: true, broadcast: { self: true, ack: true }, presence: { key: 'a1' } } });
chA1.on('broadcast', { event: '*' }, (m) => got.a1.push({ event: m.event, ...m.payload }));
chA1.on('presence', { event: 'sync' }, () => {});
const chA2 = a2.channel(room, { config: { private: true, broadcast: { ack: true }, presence: { key: 'a2' } } });
chA2.on('broadcast', { event: '*' }, (m) => got.a2.push({ event: m.event, ...m.payload }));
chA2.on('presence', { event: 'sync' }, () => {});
const chPub = pub.channel(room, { config: { broadcast: { ack: true, self: true }, presence: { key: 'pub' } } });
chPub.on('broadcast', { event: '*' }, (m) => got.pub.push({ event: m.event, ...m.payload }));
chPub.on('presence', { event: 'sync' }, () => {});

const joinA1 = await subscribe(chA1);
const joinA2 = await subscribe(chA2);
const joinPub = await subscribe(chPub);
const chB = b.channel(room, { config: { private: true } });
const joinB = await subscribe(chB);
await b.removeChannel(chB);

// Broadcast inside the private room, then on the public channel of the same name.
const ackA2 = await chA2.send({ type: 'broadcast', event: 'msg', payload: { from: 'a2' } });
await waitFor(() => got.a1.some((m) => m.from === 'a2'), 10000, 'a2 message at a1');
const ackPub = await chPub.send({ type: 'broadcast', event: 'msg', payload: { from: 'public' } });
await waitFor(() => got.pub.some((m) => m.from === 'public'), 10000, 'public message echoed to itself');

// Presence in the private room: both members see each other; the public channel sees neither.
const trackA1 = await chA1.track({ name: 'a1' });
const trackA2 = await chA2.track({ name: 'a2' });
const trackPub = await chPub.track({ name: 'pub' });
await waitFor(() => Object.keys(chA1.presenceState()).length === 2 && Object.keys(chA2.presenceState()).length === 2, 10000, 'private presence');

// The lobby: readable by everyone, writable by nobody.
const lobbyA = a1.channel(lobby, { config: { private: true, broadcast: { ack: true }, presence: { key: 'lobby-a' } } });
const lobbyB = b.channel(lobby, { config: { private: true } });
lobbyB.on('broadcast', { event: '*' }, (m) => got.lobbyB.push(m.payload));
const joinLobbyA = await subscribe(lobbyA);
const joinLobbyB = await subscribe(lobbyB);
const lobbySend = await lobbyA.send({ type: 'broadcast', event: 'msg', payload: { from: 'lobby-a' } }, { timeout: 2000 });
const lobbyTrack = await lobbyA.track({ name: 'a' });

// REST into the private room: A may write there, B may not.
const restSendA = await restA.channel(room, { config: { private: true } }).send({ type: 'broadcast', event: 'rest', payload: { from: 'restA' } });
const restSendB = await restB.channel(room, { config: { private: true } }).send({ type: 'broadcast', event: 'rest', payload: { from: 'restB' } });
const httpA = await restA.channel(room, { config: { private: true } }).httpSend('http', { from: 'httpA' }).then((r) => r, (e) => ({ error: e.message }));
const httpB = await restB.channel(room, { config: { private: true } }).httpSend('http', { from: 'httpB' }).then((r) => r, (e) => ({ error: e.message }));
await waitFor(() => got.a1.some((m) => m.from === 'restA') && got.a1.some((m) => m.from === 'httpA'), 10000, 'REST messages at a1');
await sleep(500); // anything delivered wrongly (B's REST messages, cross-topic traffic) arrives by now

// A token refresh that loses read access closes the channel for good (system error, then CLOSED).
let switcherToken = tokenA;
const switcher = createClient(url, anonKey, {
  accessToken: async () => switcherToken,
  realtime: { transport: WebSocket, heartbeatIntervalMs: 1000 },
});
await switcher.realtime.setAuth();
const statuses = [];
const systemMessages = [];
const chSwitch = switcher.channel(room, { config: { private: true } });
chSwitch.on('system', {}, (m) => systemMessages.push(m.message));
const joinSwitch = await new Promise((resolve) => chSwitch.subscribe((status) => { statuses.push(status); if (status === 'SUBSCRIBED') resolve(status); }));
switcherToken = tokenB;
await switcher.realtime.setAuth();
await waitFor(() => statuses.includes('CLOSED'), 10000, 'CLOSED after losing read');

done({
  joinA1, joinA2, joinPub, joinB, joinLobbyA, joinLobbyB,
  ackA2, ackPub, trackA1, trackA2, trackPub, lobbySend, lobbyTrack,
  restSendA, restSendB, httpA, httpB,
  presenceA1: Object.keys(chA1.presenceState()).sort(),
  presencePub: Object.keys(chPub.presenceState()).sort(),
  got,
  joinSwitch, statuses, systemMessages,
}, a1, a2, b, pub, restA, restB, switcher);
