// Node `ws` broadcast peer for the realtime fan-out scenario (docs/performance-anchors.md §Node peer).
//   node ws-broadcast.mjs PORT
// /sub: receives every message; /pub: each text message is broadcast to all subscribers; /stats: JSON counters.
// A subscriber whose bufferedAmount exceeds 200 KiB (about 1,000 messages) misses that message and it is counted
// as a drop, so a stalled client cannot grow the server without bound. Listens on 127.0.0.1 only.
import http from 'node:http';
import { createRequire } from 'node:module';

// `ws` is installed once for the whole repository under tests/js (scripts/node-deps.sh).
const require = createRequire(new URL('../../tests/js/package.json', import.meta.url));
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node ws-broadcast.mjs PORT');
  process.exit(2);
}

const MAX_BUFFERED = 200 * 1024;
const subs = new Set();
const stats = { subscribers: 0, published: 0, sent: 0, dropped: 0 };

// perMessageDeflate off, the ws 8 server default, stated explicitly: per-subscriber compression costs ~9x CPU.
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    stats.subscribers = subs.size;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  res.writeHead(404);
  res.end();
});

server.on('upgrade', (req, socket, head) => {
  if (req.url !== '/sub' && req.url !== '/pub') {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (req.url === '/sub') {
      subs.add(ws);
      ws.on('close', () => subs.delete(ws));
    } else {
      ws.on('message', (data, isBinary) => {
        stats.published++;
        for (const c of subs) {
          if (c.bufferedAmount > MAX_BUFFERED) {
            stats.dropped++;
            continue;
          }
          c.send(data, { binary: isBinary });
          stats.sent++;
        }
      });
    }
    ws.on('error', () => {});
  });
});

server.listen(port, '127.0.0.1', () => console.log(`ws-broadcast listening on 127.0.0.1:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
