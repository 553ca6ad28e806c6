// postgres_changes filters on columns the role may not SELECT, or that the table lacks, are told at join (upstream
// refuses such a subscription: "invalid column for filter"): one channel, three filtered bindings (EDGE_TABLE: an
// unreadable `secret`, a missing `nosuch`, a readable `title`). Prints the join status and every system message.
import { client, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const c = client(process.env.EDGE_KEY);
if (process.env.EDGE_USER_TOKEN) await c.realtime.setAuth(process.env.EDGE_USER_TOKEN);
const table = process.env.EDGE_TABLE ?? 'items';
const system = [];
const ch = c.channel(`filters-${process.pid}`)
  .on('postgres_changes', { event: '*', schema: 'public', table, filter: 'secret=eq.s1' }, () => {})
  .on('postgres_changes', { event: '*', schema: 'public', table, filter: 'nosuch=eq.1' }, () => {})
  .on('postgres_changes', { event: '*', schema: 'public', table, filter: 'title=eq.a' }, () => {})
  .on('system', {}, (m) => system.push({ extension: m.extension, status: m.status, message: m.message }));
const join = (await subscribe(ch)).status;
await waitFor(() => system.some((m) => m.message === 'Subscribed to PostgreSQL'), 15000, 'Subscribed to PostgreSQL');
await sleep(1500); // the column check answers after the join
done({ join, system }, c);
