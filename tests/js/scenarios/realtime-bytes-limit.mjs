// The per-socket bytes/s limit (EDGE_MAX_BYTES_PER_SECOND) as supabase-js sees it. `heavy` sends 1.5 KB
// broadcasts as fast as it can; `light` sends small ones at the same time. Both listen for `system` messages.
// The listener counts what arrives.
import { client, subscribe, waitFor, sleep, done } from './realtime-common.mjs';

const topic = `bytes-${process.pid}`;
const heavy = client();
const light = client();
const listener = client();

const system = { heavy: [], light: [] };
const received = { heavy: 0, light: 0 };
const chListen = listener.channel(topic);
chListen.on('broadcast', { event: '*' }, (m) => { received[m.event] += 1; });
const chHeavy = heavy.channel(topic, { config: { broadcast: { ack: true } } });
chHeavy.on('system', {}, (m) => system.heavy.push(m));
const chLight = light.channel(topic, { config: { broadcast: { ack: true } } });
chLight.on('system', {}, (m) => system.light.push(m));

const joins = [await subscribe(chListen), await subscribe(chHeavy), await subscribe(chLight)].map((j) => j.status);
await sleep(1100); // every bucket full

const big = 'x'.repeat(1500);
const heavySends = [];
const lightSends = [];
for (let i = 0; i < 10; i++) {
  heavySends.push(chHeavy.send({ type: 'broadcast', event: 'heavy', payload: { i, big } }));
  if (i < 5) lightSends.push(chLight.send({ type: 'broadcast', event: 'light', payload: { i } }));
}
const heavyResults = await Promise.all(heavySends);
const lightResults = await Promise.all(lightSends);
const heavyOk = heavyResults.filter((r) => r === 'ok').length;
await waitFor(() => received.heavy === heavyOk && received.light === 5, 10000, 'the admitted broadcasts');
await waitFor(() => system.heavy.length > 0, 5000, 'the system message').catch(() => {});
await sleep(300); // anything shed would have arrived by now
done({ joins, heavyResults, lightResults, received, system, heavyState: chHeavy.state }, heavy, light, listener);
