// Presence between two clients: both track, each sees both keys on sync; then B leaves and A sees B's leave.
import { client, anonKey, urlB, subscribe, waitFor, done } from './realtime-common.mjs';

const a = client();
const b = client(anonKey, {}, urlB); // EDGE_URL_B: another node of a cluster
const topic = `presence-${process.pid}`;
const leaves = [];
const joins = [];
const chA = a.channel(topic, { config: { presence: { key: 'user-a' } } });
chA.on('presence', { event: 'sync' }, () => {});
chA.on('presence', { event: 'join' }, ({ key }) => joins.push(key));
chA.on('presence', { event: 'leave' }, ({ key }) => leaves.push(key));
const chB = b.channel(topic, { config: { presence: { key: 'user-b' } } });
chB.on('presence', { event: 'sync' }, () => {});

const joinA = await subscribe(chA);
const trackA = await chA.track({ name: 'alice' });
const joinB = await subscribe(chB);
const trackB = await chB.track({ name: 'bob' });
await waitFor(() => Object.keys(chA.presenceState()).length === 2 && Object.keys(chB.presenceState()).length === 2, 10000, 'both presences');
const stateA = chA.presenceState();
const stateB = chB.presenceState();
await b.removeChannel(chB);
await waitFor(() => leaves.includes('user-b'), 10000, 'leave of user-b');
done({
  joinA, joinB, trackA, trackB, joins, leaves,
  keysA: Object.keys(stateA).sort(), keysB: Object.keys(stateB).sort(),
  bobSeenByA: stateA['user-b']?.[0]?.name ?? null,
  afterLeave: Object.keys(chA.presenceState()).sort(),
}, a, b);
