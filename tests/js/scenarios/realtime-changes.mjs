// postgres_changes through supabase-js: one client, one channel per event/filter/select binding named in EDGE_EXPECT
// (EDGE_EXPECT_PAIRED: a second binding on the same channel, to check per-binding payloads). The test
// writes the rows once every binding is registered (it watches /metrics) and this script waits for the expected
// counts (EDGE_EXPECT = JSON {channel: count}), then lingers to catch anything extra.
import { client, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const c = client(process.env.EDGE_KEY);
if (process.env.EDGE_USER_TOKEN) await c.realtime.setAuth(process.env.EDGE_USER_TOKEN);
const table = process.env.EDGE_TABLE ?? 'todos';
const expect = JSON.parse(process.env.EDGE_EXPECT);
const specs = {
  all: { event: '*', schema: 'public', table },
  inserts2: { event: 'INSERT', schema: 'public', table, filter: 'id=eq.2' },
  deletes: { event: 'DELETE', schema: 'public', table },
  updatesTitleC: { event: 'UPDATE', schema: 'public', table, filter: 'title=in.(c,"x y")' },
  idGt1: { event: '*', schema: 'public', table, filter: 'id=gt.1' },
  idAndTitle: { event: '*', schema: 'public', table, filter: 'id=gte.1,title=eq.c' },
  titleILikeB: { event: '*', schema: 'public', table, filter: 'title=ilike.B%' },
  titleMatch: { event: '*', schema: 'public', table, filter: 'title=match.^b[0-9]+$' },
  titleIMatch: { event: '*', schema: 'public', table, filter: 'title=imatch.^b\\d' },
  titleIsDistinctA: { event: '*', schema: 'public', table, filter: 'title=isdistinct.a' },
  selectTitle: { event: '*', schema: 'public', table, select: ['title'] },
  selectTitleDone: { event: '*', schema: 'public', table, select: ['title', 'done'] },
  selectDoneTitleInserts: { event: 'INSERT', schema: 'public', table, select: ['done', 'title'] },
};
const got = {};
const joins = {};
for (const name of Object.keys(expect)) {
  got[name] = [];
  const record = (into) => (p) => got[into].push({
    type: p.eventType, table: p.table, schema: p.schema, new: p.new, old: p.old, commit: p.commit_timestamp, errors: p.errors,
  });
  const ch = c.channel(`${name}-${process.pid}`).on('postgres_changes', specs[name], record(name));
  const paired = JSON.parse(process.env.EDGE_EXPECT_PAIRED ?? '{}')[name];
  if (paired) {
    got[`${name}+${paired}`] = [];
    ch.on('postgres_changes', specs[paired], record(`${name}+${paired}`));
  }
  joins[name] = (await subscribe(ch)).status;
}
if (process.env.EDGE_LATE_USER_TOKEN) await c.realtime.setAuth(process.env.EDGE_LATE_USER_TOKEN);
const ready = Date.now();
console.log('READY');
await waitFor(() => Object.entries(expect).every(([k, n]) => got[k].length >= n), 20000, 'expected change counts');
await sleep(Math.max(500, Number(process.env.EDGE_MIN_WAIT_MS ?? 0) - (Date.now() - ready)));
done({ joins, got }, c);
