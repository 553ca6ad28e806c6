// Heartbeats: with a 500 ms interval for 6 s (longer than the server's 4 s idle timeout in tests) the client sees
// only 'sent'/'ok', never 'timeout', its socket never reconnects and the channel stays joined.
import { client, subscribe, sleep, done } from './realtime-common.mjs';

const statuses = {};
const c = client(undefined, { heartbeatIntervalMs: 500, heartbeatCallback: (s) => { statuses[s] = (statuses[s] ?? 0) + 1; } });
const channel = c.channel(`hb-${process.pid}`);
let opens = 0;
c.realtime.onOpen?.(() => { opens += 1; });
const join = await subscribe(channel);
await sleep(6000);
done({ join, statuses, opens, state: channel.state, connected: c.realtime.isConnected() }, c);
