// Broadcast between two supabase-js clients: A has self+ack, B has neither. A's message reaches A (self) and B;
// B's message reaches only A; A's send resolves 'ok' after the server's ack, B's at once.
import { client, anonKey, urlB, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const a = client();
const b = client(anonKey, {}, urlB); // EDGE_URL_B: another node of a cluster
const topic = `room-${process.pid}`;
const got = { a: [], b: [] };
const chA = a.channel(topic, { config: { broadcast: { self: true, ack: true } } });
chA.on('broadcast', { event: 'msg' }, (m) => got.a.push(m.payload));
const chB = b.channel(topic);
chB.on('broadcast', { event: 'msg' }, (m) => got.b.push(m.payload));

const joinA = await subscribe(chA);
const joinB = await subscribe(chB);
const ackA = await chA.send({ type: 'broadcast', event: 'msg', payload: { from: 'a', text: 'grüße' } });
await waitFor(() => got.a.length >= 1 && got.b.length >= 1, 10000, 'a message from a');
const ackB = await chB.send({ type: 'broadcast', event: 'msg', payload: { from: 'b' } });
await waitFor(() => got.a.length >= 2, 10000, 'b message at a');
await sleep(300); // anything B would wrongly receive (its own message) arrives by now
done({ joinA, joinB, ackA, ackB, a: got.a, b: got.b }, a, b);
