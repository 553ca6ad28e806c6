// EDGE_CLIENTS supabase-js clients (one socket each) subscribe to INSERTs on EDGE_TABLE; the test then commits
// EDGE_ROWS rows with ids 1..EDGE_ROWS (one transaction or many). Each client checks, without keeping the rows, that
// it got every id exactly once in commit order (id === the next expected one), and records any `system` error
// (the server telling it that changes were missed). Ends when every client has every
// row or has been told, when rows stop arriving for EDGE_IDLE_MS, or after EDGE_WAIT_MS.
import { client, subscribe, sleep, done } from './realtime-common.mjs';

const clients = Number(process.env.EDGE_CLIENTS);
const rows = Number(process.env.EDGE_ROWS);
const table = process.env.EDGE_TABLE ?? 'items';
const waitMs = Number(process.env.EDGE_WAIT_MS ?? 120000);
const state = [];
const all = [];
const joins = await Promise.all(Array.from({ length: clients }, async (_, i) => {
  const c = client(process.env.EDGE_KEY, { heartbeatIntervalMs: 5000 });
  all.push(c);
  const s = { next: 1, received: 0, outOfOrder: 0, systemErrors: [], firstAt: 0, lastAt: 0 };
  state[i] = s;
  const ch = c.channel(`burst-${process.pid}-${i}`)
    .on('postgres_changes', { event: 'INSERT', schema: 'public', table }, (p) => {
      const now = Date.now();
      if (s.received === 0) s.firstAt = now;
      s.lastAt = now;
      s.received += 1;
      if (p.new.id === s.next) s.next += 1;
      else s.outOfOrder += 1;
    })
    .on('system', {}, (p) => {
      if (p.status === 'error') s.systemErrors.push(p.message);
    });
  return (await subscribe(ch, 60000)).status;
}));
console.log('READY');
const idleMs = Number(process.env.EDGE_IDLE_MS ?? 15000);
const deadline = Date.now() + waitMs;
const finished = () => state.every((s) => s.next > rows || s.systemErrors.length > 0);
// Also ends once rows have been arriving and then nothing came for EDGE_IDLE_MS: what is missing by then is lost.
const stalled = () => state.some((s) => s.received > 0) && Date.now() - Math.max(...state.map((s) => s.lastAt)) > idleMs;
while (!finished() && !stalled() && Date.now() < deadline) await sleep(50);
await sleep(500); // anything extra (a duplicate) would arrive now
const firstAt = Math.min(...state.map((s) => s.firstAt || Infinity));
const lastAt = Math.max(...state.map((s) => s.lastAt));
done({
  subscribed: joins.filter((j) => j === 'SUBSCRIBED').length,
  complete: state.filter((s) => s.next === rows + 1 && s.received === rows && s.outOfOrder === 0).length,
  told: state.filter((s) => s.systemErrors.length > 0).length,
  received: state.map((s) => s.received),
  outOfOrder: state.reduce((n, s) => n + s.outOfOrder, 0),
  systemErrors: [...new Set(state.flatMap((s) => s.systemErrors))],
  spanMs: Number.isFinite(firstAt) ? lastAt - firstAt : null,
}, ...all);
