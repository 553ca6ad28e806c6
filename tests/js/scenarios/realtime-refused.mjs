// Refusals a client can see: an expired user token on join (InvalidJWTToken reply → CHANNEL_ERROR) and a socket
// whose apikey is not a valid JWT (HTTP 401 before the upgrade → CHANNEL_ERROR).
import { client, subscribe, done } from './realtime-common.mjs';

const expired = client();
await expired.realtime.setAuth(process.env.EDGE_EXPIRED_TOKEN);
const chExpired = expired.channel(`refused-${process.pid}`);
const expiredJoin = await subscribe(chExpired);

const forged = client(process.env.EDGE_FORGED_KEY);
const chForged = forged.channel(`forged-${process.pid}`);
const forgedJoin = await subscribe(chForged);
done({ expiredJoin, forgedJoin }, expired, forged);
