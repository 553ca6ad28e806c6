// broadcast.replication_ready through supabase-js: a channel that asks for it gets the system message
// "Replication connection established" (extension "system", status "ok") once the database stream is live, and
// writes only after it; a channel that does not ask gets no such message. Prints what each saw.
import { client, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const c = client();
const seen = { ready: [], plain: [], echoes: [] };
const ready = c.channel(`ready-${process.pid}`, { config: { broadcast: { replication_ready: true, self: true } } })
  .on('system', {}, (m) => seen.ready.push(m))
  .on('broadcast', { event: 'after-ready' }, (m) => seen.echoes.push(m.payload));
const plain = c.channel(`plain-${process.pid}`).on('system', {}, (m) => seen.plain.push(m));
const joinReady = (await subscribe(ready)).status;
const joinPlain = (await subscribe(plain)).status;
await waitFor(() => seen.ready.some((m) => m.message === 'Replication connection established'), 15000, 'replication_ready system message');
const sent = await ready.send({ type: 'broadcast', event: 'after-ready', payload: { n: 1 } });
await waitFor(() => seen.echoes.length >= 1, 5000, 'own broadcast after ready');
await sleep(500);
done({ joinReady, joinPlain, sent, seen }, c);
