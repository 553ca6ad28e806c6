// REST broadcast from supabase-js: send() on a channel that is not joined falls back to
// POST /realtime/v1/api/broadcast, and httpSend() posts to …/broadcast/<name>/events/<event> (must answer 202).
import { client, subscribe, waitFor, done } from './realtime-common.mjs';

const listener = client();
const sender = client();
const topic = `rest-${process.pid}`;
const got = [];
const chListen = listener.channel(topic).on('broadcast', { event: '*' }, (m) => got.push({ event: m.event, payload: m.payload }));
const join = await subscribe(chListen);
const chSend = sender.channel(topic);
const fallback = await chSend.send({ type: 'broadcast', event: 'fallback', payload: { via: 'rest' } });
const http = await chSend.httpSend('direct', { via: 'httpSend' });
await waitFor(() => got.length >= 2, 10000, 'two REST broadcasts');
done({ join, fallback, http, got }, listener, sender);
