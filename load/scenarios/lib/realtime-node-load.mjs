// Realtime load driver (Node `ws`, raw Phoenix v2 frames so the client stays cheap):
//   idle:   IDLE_CONNECTIONS sockets, each joined to its own channel; reports server RSS per connection.
//   fanout: SUBSCRIBERS sockets on one topic, one publisher sending RATE broadcasts/s for SECONDS; reports
//           deliveries/s and publish→receive latency percentiles (same process, same monotonic clock).
// Prints one JSON line. Server URL and token come from EDGE_URL / EDGE_TOKEN.
import { createRequire } from 'node:module';

// `ws` lives in the test clients' node_modules (tests/js); ESM ignores NODE_PATH, so resolve from the cwd.
const WebSocket = createRequire(`${process.cwd()}/`)('ws');

const url = process.env.EDGE_URL.replace(/^http/, 'ws') + `/realtime/v1/websocket?apikey=${process.env.EDGE_TOKEN}&vsn=2.0.0`;
const mode = process.argv[2] ?? 'idle';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function metric(name) {
  const text = await (await fetch(process.env.EDGE_URL + '/metrics')).text();
  return Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)[1]);
}

const rss = () => metric('process_resident_memory_bytes');
const heap = () => metric('dotnet_gc_heap_size_bytes');

function open(topic, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify(['1', '1', `realtime:${topic}`, 'phx_join', { config: { broadcast: { self: false } } }])));
    let joined = false;
    ws.on('message', (data, isBinary) => {
      if (!joined) { joined = true; resolve(ws); return; }
      onMessage?.(data, isBinary);
    });
  });
}

async function openMany(count, topicOf, onMessage) {
  const sockets = [];
  for (let i = 0; i < count; i += 200) {
    sockets.push(...await Promise.all(Array.from({ length: Math.min(200, count - i) }, (_, k) => open(topicOf(i + k), onMessage))));
  }
  return sockets;
}

function heartbeat(sockets) {
  return setInterval(() => { for (const ws of sockets) ws.send('[null,"h","phoenix","heartbeat",{}]'); }, 20000);
}

if (mode === 'idle') {
  const n = Number(process.env.IDLE_CONNECTIONS ?? 2000);
  await sleep(1000);
  const before = await rss();
  const heapBefore = await heap();
  const sockets = await openMany(n, (i) => `idle-${i}`);
  const timer = heartbeat(sockets);
  await sleep(3000);
  const after = await rss();
  const heapAfter = await heap();
  clearInterval(timer);
  console.log(JSON.stringify({
    mode, connections: n, rssBeforeMiB: +(before / 1048576).toFixed(1), rssAfterMiB: +(after / 1048576).toFixed(1),
    kibPerConnection: +((after - before) / n / 1024).toFixed(2), managedHeapKibPerConnection: +((heapAfter - heapBefore) / n / 1024).toFixed(2),
  }));
  process.exit(0);
}

const subscribers = Number(process.env.SUBSCRIBERS ?? 1000);
const rate = Number(process.env.RATE ?? 100);
const seconds = Number(process.env.SECONDS ?? 10);
const latencies = [];
let received = 0;
const onMessage = (data) => {
  const text = data.toString();
  const at = text.indexOf('"t":');
  if (at < 0) return;
  received += 1;
  latencies.push(Number(process.hrtime.bigint() - BigInt(text.slice(at + 4, text.indexOf('}', at)))) / 1e6);
};
const subs = await openMany(subscribers, () => 'fanout', onMessage);
const publisher = await open('fanout');
const timer = heartbeat([...subs, publisher]);
const total = rate * seconds;
const started = process.hrtime.bigint();
for (let i = 0; i < total; i++) {
  const due = started + BigInt(Math.round((i * 1e9) / rate));
  while (process.hrtime.bigint() < due) await sleep(1);
  publisher.send(JSON.stringify(['1', null, 'realtime:fanout', 'broadcast', { type: 'broadcast', event: 'b', payload: { i, pad: 'x'.repeat(100), t: Number(process.hrtime.bigint()) } }]));
}
const expected = total * subscribers;
const deadline = Date.now() + 120000;
while (received < expected && Date.now() < deadline) await sleep(50);
const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
clearInterval(timer);
latencies.sort((a, b) => a - b);
const pct = (p) => +(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN).toFixed(1);
console.log(JSON.stringify({ mode: 'fanout', subscribers, rate, seconds, expected, received, deliveriesPerSecond: Math.round(received / elapsedS), p50Ms: pct(0.5), p99Ms: pct(0.99), maxMs: pct(1) }));
process.exit(0);
