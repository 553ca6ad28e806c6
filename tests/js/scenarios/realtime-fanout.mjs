// EDGE_CLIENTS sockets each subscribe to INSERTs on one table; the test inserts EDGE_ROWS rows in several
// transactions. Every client must get every row exactly once, in commit (id) order.
import { client, subscribe, waitFor, done } from './realtime-common.mjs';

const clients = Number(process.env.EDGE_CLIENTS);
const rows = Number(process.env.EDGE_ROWS);
const seen = [];
const all = [];
const joins = await Promise.all(Array.from({ length: clients }, async (_, i) => {
  const c = client(process.env.EDGE_KEY, { heartbeatIntervalMs: 2000 });
  all.push(c);
  seen[i] = [];
  const ch = c.channel(`fanout-${i}`).on('postgres_changes', { event: 'INSERT', schema: 'public', table: 'items' }, (p) => seen[i].push(p.new.id));
  return (await subscribe(ch, 60000)).status;
}));
console.log('READY');
const started = Date.now();
await waitFor(() => seen.every((s) => s.length >= rows), 120000, 'all rows at all clients');
const elapsedMs = Date.now() - started;
await new Promise((r) => setTimeout(r, 500));
let inOrder = 0;
let exact = 0;
for (const s of seen) {
  if (s.length === rows) exact += 1;
  if (s.every((id, k) => id === k + 1)) inOrder += 1;
}
done({ subscribed: joins.filter((j) => j === 'SUBSCRIBED').length, exact, inOrder, elapsedMs }, ...all);
