// EDGE_CLIENTS supabase-js clients (one socket each) subscribe to INSERTs on EDGE_TABLE while the test commits
// EDGE_ROWS rows with ids 1..EDGE_ROWS in many transactions and kills/cuts the server on the way. The clients are left
// to reconnect and rejoin by themselves (realtime-js does). Each records every id once in a bitmap: repeats (an id
// seen before), out-of-order arrivals (an id before an earlier unseen one) and `system` errors. Ends when every client
// has every row, or after EDGE_WAIT_MS. For every repeat it keeps when the row's first copy arrived and when it was
// committed, so the test can say how far before the outage the repeated rows lie. EDGE_HEARTBEAT_MS sets
// realtime-js's heartbeat interval (default 1000; "default" keeps the library's own).
import { client, subscribe, sleep, done } from './realtime-common.mjs';

const clients = Number(process.env.EDGE_CLIENTS);
const rows = Number(process.env.EDGE_ROWS);
const table = process.env.EDGE_TABLE ?? 'items';
const waitMs = Number(process.env.EDGE_WAIT_MS ?? 120000);
// EDGE_STALL_INDEX: that client stops reading its socket (ws's net.Socket paused) once it has EDGE_STALL_AFTER rows,
// for EDGE_STALL_MS; realtime-js meanwhile misses its heartbeat replies, declares a timeout and reconnects.
const stallIndex = Number(process.env.EDGE_STALL_INDEX ?? -1);
const stallAfter = Number(process.env.EDGE_STALL_AFTER ?? 0);
const stallMs = Number(process.env.EDGE_STALL_MS ?? 0);
// EDGE_URLS (cluster tests): comma-separated nodes or balancers; client i connects to the (i mod n)-th.
const urls = (process.env.EDGE_URLS ?? '').split(',').filter((u) => u.length > 0);
const heartbeat = process.env.EDGE_HEARTBEAT_MS === 'default' ? { heartbeatIntervalMs: undefined } : { heartbeatIntervalMs: Number(process.env.EDGE_HEARTBEAT_MS ?? 1000) };
const state = [];
const all = [];
const joins = await Promise.all(Array.from({ length: clients }, async (_, i) => {
  const c = urls.length > 0
    ? client(process.env.EDGE_KEY, heartbeat, urls[i % urls.length])
    : client(process.env.EDGE_KEY, heartbeat);
  all.push(c);
  const s = {
    seen: new Uint8Array(rows + 2), firstAt: new Float64Array(rows + 2), next: 1, received: 0, repeats: 0, outOfOrder: 0,
    systemErrors: [], joins: 0, repeatFirstAt: null, repeatCommittedAt: null,
  };
  state[i] = s;
  const ch = c.channel(`resume-${process.pid}-${i}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table }, (p) => {
      const id = p.new.id;
      if (id < 1 || id > rows) return;
      if (s.seen[id]) {
        s.repeats += 1;
        s.repeatFirstAt = Math.min(s.repeatFirstAt ?? Infinity, s.firstAt[id]);
        s.repeatCommittedAt = Math.min(s.repeatCommittedAt ?? Infinity, Date.parse(p.commit_timestamp));
        return;
      }
      s.seen[id] = 1;
      s.firstAt[id] = Date.now();
      s.received += 1;
      if (id !== s.next) s.outOfOrder += 1;
      while (s.seen[s.next]) s.next += 1;
      if (i === stallIndex && s.received === stallAfter) {
        const raw = c.realtime.socketAdapter?.getSocket?.().conn?._socket;
        if (raw) {
          raw.pause();
          s.stalled = true;
          setTimeout(() => raw.resume(), stallMs);
        }
      }
    })
    .on('system', {}, (p) => {
      if (p.status === 'error') s.systemErrors.push(p.message);
    });
  return (await subscribe(ch, 60000)).status;
}));
console.log('READY');
const deadline = Date.now() + waitMs;
while (!state.every((s) => s.next > rows) && Date.now() < deadline) await sleep(100);
await sleep(1000); // anything extra (a repeat) would arrive now
done({
  subscribed: joins.filter((j) => j === 'SUBSCRIBED').length,
  complete: state.filter((s) => s.next > rows && s.outOfOrder === 0).length,
  missing: state.map((s) => rows - s.received),
  repeats: state.map((s) => s.repeats),
  // Per client, ms since the epoch: the earliest first arrival and the earliest commit among its repeated rows.
  repeatFirstAt: state.map((s) => s.repeatFirstAt),
  repeatCommittedAt: state.map((s) => s.repeatCommittedAt),
  outOfOrder: state.reduce((n, s) => n + s.outOfOrder, 0),
  told: state.filter((s) => s.systemErrors.length > 0).length,
  toldPerClient: state.map((s) => s.systemErrors.length > 0),
  stalled: state.filter((s) => s.stalled).length,
  systemErrors: [...new Set(state.flatMap((s) => s.systemErrors))],
}, ...all);
