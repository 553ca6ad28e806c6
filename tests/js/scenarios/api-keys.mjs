// Opaque API keys (sb_publishable_… / sb_secret_…) as supabase-js uses them: the key is the client's supabaseKey;
// it goes in the `apikey` header (storage) and the socket's `apikey` parameter (realtime). The test's policies:
//   storage.objects select to anon          using (bucket_id like 'keys-%' and name like 'anon/%')
//   storage.objects select to authenticated using (bucket_id like 'keys-%')
//   realtime.messages: none (a private channel needs service_role)
// EDGE_PUBLISHABLE_KEY / EDGE_SECRET_KEY are the node's keys, EDGE_WRONG_KEY an sb_ key it does not have,
// EDGE_USER_TOKEN a signed-in user's JWT.
import { createClient } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { client, url, subscribe, waitFor, done } from './realtime-common.mjs';

const publishable = process.env.EDGE_PUBLISHABLE_KEY;
const secret = process.env.EDGE_SECRET_KEY;
const wrong = process.env.EDGE_WRONG_KEY;
const bucket = `keys-${process.pid}`;

const admin = client(secret);
const pub = client(publishable);
const bad = client(wrong);
// A signed-in user of an app built on the publishable key: the user's JWT rides in Authorization.
const user = createClient(url, publishable, {
  accessToken: async () => process.env.EDGE_USER_TOKEN,
  realtime: { transport: WebSocket, heartbeatIntervalMs: 1000 },
});

const result = {};
const message = (r) => (r.error ? String(r.error.message) : 'ok');

// Storage: service-role-only actions with the secret key.
result.createBucket = message(await admin.storage.createBucket(bucket, { public: false }));
result.uploadAnon = message(await admin.storage.from(bucket).upload('anon/a.txt', 'for everyone', { contentType: 'text/plain' }));
result.uploadUser = message(await admin.storage.from(bucket).upload('user/b.txt', 'for users', { contentType: 'text/plain' }));

// The publishable key acts as anon: its policy shows anon/, hides user/, and it may not create buckets.
const anonList = await pub.storage.from(bucket).list('anon');
result.pubListAnon = anonList.error ? message(anonList) : anonList.data.map((o) => o.name);
const userListAsAnon = await pub.storage.from(bucket).list('user');
result.pubListUser = userListAsAnon.error ? message(userListAsAnon) : userListAsAnon.data.map((o) => o.name);
const download = await pub.storage.from(bucket).download('anon/a.txt');
result.pubDownload = download.error ? message(download) : await download.data.text();
result.pubCreateBucket = message(await pub.storage.createBucket(`${bucket}-x`));
result.pubEmptyBucket = message(await pub.storage.emptyBucket(bucket));

// With a user's JWT beside the publishable key, storage acts as that user (authenticated sees user/).
const userList = await user.storage.from(bucket).list('user');
result.userListUser = userList.error ? message(userList) : userList.data.map((o) => o.name);

// A wrong sb_ key: refused with upstream's text.
const badList = await bad.storage.from(bucket).list('anon');
result.badList = message(badList);
result.badStatus = badList.error?.statusCode ?? null;

// Realtime: the publishable key's socket joins and broadcasts; a private channel needs the secret key.
const got = [];
const chPub = pub.channel(`keys-room-${process.pid}`, { config: { broadcast: { self: true, ack: true } } });
chPub.on('broadcast', { event: 'hi' }, (m) => got.push(m.payload));
result.pubJoin = await subscribe(chPub);
result.pubSend = await chPub.send({ type: 'broadcast', event: 'hi', payload: { n: 1 } });
await waitFor(() => got.length === 1, 10000, 'the broadcast echo');
result.pubGot = got;
result.pubPrivateJoin = await subscribe(pub.channel(`keys-private-${process.pid}`, { config: { private: true } }), 10000);
result.secretPrivateJoin = await subscribe(admin.channel(`keys-private-${process.pid}`, { config: { private: true } }));
result.badJoin = await subscribe(bad.channel(`keys-bad-${process.pid}`), 10000);

// Cleanup with the secret key (service role): empty, then delete the bucket.
result.emptyBucket = message(await admin.storage.emptyBucket(bucket));
done(result, pub, admin, bad, user);
