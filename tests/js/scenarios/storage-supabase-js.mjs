// Drives every storage route storage-js uses, through the real @supabase/supabase-js client, against a running
// MadBase Edge. Inputs (environment): MADBASE_URL, MADBASE_SERVICE_KEY, MADBASE_ANON_KEY, MADBASE_USER_A_TOKEN,
// MADBASE_USER_B_TOKEN, MADBASE_USER_A_ID. Buckets named rls-* must carry own-rows RLS policies (owner_id = auth.uid()).
// Prints one JSON line last: {"ok":true,"checks":N}; exits 1 at the first failed check.
import { createClient } from '@supabase/supabase-js';
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';

const env = name => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
const url = env('MADBASE_URL');
const options = { realtime: { transport: WebSocket }, auth: { persistSession: false, autoRefreshToken: false } };
const admin = createClient(url, env('MADBASE_SERVICE_KEY'), options).storage;
const asUser = token => createClient(url, env('MADBASE_ANON_KEY'), { ...options, global: { headers: { Authorization: `Bearer ${token}` } } }).storage;
const alice = asUser(env('MADBASE_USER_A_TOKEN'));
const bob = asUser(env('MADBASE_USER_B_TOKEN'));
const aliceId = env('MADBASE_USER_A_ID');

let checks = 0;
function check(condition, message, detail) {
  if (!condition) {
    console.log(JSON.stringify({ ok: false, failed: message, detail: detail === undefined ? null : String(detail?.message ?? JSON.stringify(detail)) }));
    process.exit(1);
  }
  checks++;
}
const ok = (result, message) => { check(!result.error, message, result.error); return result.data; };
const failsWith = (result, statusCode, message) => check(result.error && String(result.error.statusCode) === statusCode, `${message}: expected statusCode ${statusCode}`, result.error ?? 'no error');
const sha = buf => createHash('sha256').update(buf).digest('hex');

const suffix = randomBytes(4).toString('hex');
const bucket = `js-${suffix}`;
const publicBucket = `pub-${suffix}`;
const rlsBucket = `rls-${suffix}`;

// Buckets
check(ok(await admin.createBucket(bucket, { public: false, fileSizeLimit: '2MB', allowedMimeTypes: ['text/*', 'image/*', 'application/octet-stream'] }), 'createBucket').name === bucket, 'createBucket returns the name');
ok(await admin.createBucket(publicBucket, { public: true }), 'create public bucket');
ok(await admin.createBucket(rlsBucket), 'create rls bucket');
failsWith(await admin.createBucket(bucket), '409', 'duplicate bucket');
check(ok(await admin.getBucket(bucket), 'getBucket').file_size_limit === 2000000, 'getBucket shows the limit');
check(ok(await admin.listBuckets(), 'listBuckets').some(b => b.id === publicBucket), 'listBuckets lists the bucket');
ok(await admin.updateBucket(bucket, { public: false, fileSizeLimit: '3MB', allowedMimeTypes: ['text/*', 'image/*', 'application/octet-stream'] }), 'updateBucket');

// Uploads: string (raw body), Blob (multipart/form-data), Buffer, non-ASCII names
const name = 'docs/ünïcode 名前.txt';
check(ok(await admin.from(bucket).upload(name, 'hello world', { contentType: 'text/plain' }), 'upload string').fullPath === `${bucket}/${name}`, 'upload returns fullPath');
failsWith(await admin.from(bucket).upload(name, 'again', { contentType: 'text/plain' }), '409', 'upload without upsert onto an existing object');
ok(await admin.from(bucket).upload(name, 'hello again', { contentType: 'text/plain', upsert: true }), 'upload with upsert');
const png = randomBytes(300_000);
ok(await admin.from(bucket).upload('images/pic.png', new Blob([png], { type: 'image/png' }), { cacheControl: '120', metadata: { by: 'js' } }), 'upload Blob as form data');
failsWith(await admin.from(bucket).upload('big.bin', randomBytes(3_100_000), { contentType: 'application/octet-stream' }), '413', 'bucket size limit');
failsWith(await admin.from(bucket).upload('doc.pdf', 'x', { contentType: 'application/pdf' }), '415', 'bucket MIME limit');

// Download, info, exists
check(await ok(await admin.from(bucket).download(name), 'download').text() === 'hello again', 'download returns the upserted bytes');
check(sha(Buffer.from(await ok(await admin.from(bucket).download('images/pic.png'), 'download blob').arrayBuffer())) === sha(png), 'form-data bytes round-trip');
const info = ok(await admin.from(bucket).info('images/pic.png'), 'info');
check(info.size === png.length && info.contentType === 'image/png' && info.cacheControl === 'max-age=120' && info.metadata?.by === 'js', 'info fields', info);
ok(await admin.from(bucket).update('images/pic.png', new Blob([png], { type: 'image/png' }), { cacheControl: '60' }), 'update (PUT)');
check(ok(await admin.from(bucket).info('images/pic.png'), 'info after update').cacheControl === 'max-age=60', 'update replaced the object');
check(ok(await admin.from(bucket).exists('images/pic.png'), 'exists') === true, 'exists() is true for an object');
const missing = await admin.from(bucket).exists('images/none.png');
check(missing.data === false, 'exists() is false for a missing object', missing);

// List
const listed = ok(await admin.from(bucket).list('', { limit: 10, offset: 0, sortBy: { column: 'name', order: 'asc' } }), 'list root');
check(JSON.stringify(listed.map(e => e.name)) === '["docs","images"]' && listed[0].id === null, 'list shows folders', listed);
const inDocs = ok(await admin.from(bucket).list('docs', { search: 'ünï' }), 'list with search');
check(inDocs.length === 1 && inDocs[0].name === 'ünïcode 名前.txt' && inDocs[0].metadata.size === 11, 'list entry', inDocs);

// Signed URLs
const signed = ok(await admin.from(bucket).createSignedUrl(name, 60), 'createSignedUrl');
const signedResponse = await fetch(signed.signedUrl);
check(signedResponse.status === 200 && (await signedResponse.text()) === 'hello again', 'signed URL downloads', signedResponse.status);
const many = ok(await admin.from(bucket).createSignedUrls([name, 'images/pic.png', 'nope.txt'], 60), 'createSignedUrls');
check(many.length === 3 && many[0].signedUrl && many[1].signedUrl && many[2].error, 'createSignedUrls per path', many);
const withDownload = ok(await admin.from(bucket).createSignedUrl('images/pic.png', 60, { download: 'pic.png' }), 'createSignedUrl download');
check((await fetch(withDownload.signedUrl)).headers.get('content-disposition')?.startsWith('attachment'), 'signed URL with download');
const uploadUrl = ok(await admin.from(bucket).createSignedUploadUrl('signed/up.txt'), 'createSignedUploadUrl');
ok(await createClient(url, env('MADBASE_ANON_KEY'), options).storage.from(bucket).uploadToSignedUrl('signed/up.txt', uploadUrl.token, 'via token', { contentType: 'text/plain' }), 'uploadToSignedUrl');
check(await ok(await admin.from(bucket).download('signed/up.txt'), 'download signed upload').text() === 'via token', 'signed upload stored');

// Public URL
ok(await admin.from(publicBucket).upload('p/hi.txt', 'public hi', { contentType: 'text/plain' }), 'upload to public bucket');
const publicResponse = await fetch(admin.from(publicBucket).getPublicUrl('p/hi.txt').data.publicUrl);
check(publicResponse.status === 200 && (await publicResponse.text()) === 'public hi', 'public URL serves without auth');

// Move, copy, remove
ok(await admin.from(bucket).move('signed/up.txt', 'moved/up.txt'), 'move');
const copied = ok(await admin.from(bucket).copy('moved/up.txt', 'copied/up.txt'), 'copy');
check(copied.path === `${bucket}/copied/up.txt`, 'copy returns the destination key', copied);
check(await ok(await admin.from(bucket).download('copied/up.txt'), 'download copy').text() === 'via token', 'copy has the bytes');
const removed = ok(await admin.from(bucket).remove(['moved/up.txt', 'copied/up.txt', 'nothing.txt']), 'remove');
check(removed.length === 2, 'remove returns the deleted rows', removed);

// RLS: two users, own rows only
ok(await alice.from(rlsBucket).upload(`${aliceId}/a.txt`, 'alice', { contentType: 'text/plain' }), 'alice uploads');
failsWith(await bob.from(rlsBucket).download(`${aliceId}/a.txt`), '404', 'bob cannot read alice');
failsWith(await bob.from(rlsBucket).upload(`${aliceId}/a.txt`, 'bob', { contentType: 'text/plain', upsert: true }), '403', 'bob cannot overwrite alice');
check((ok(await bob.from(rlsBucket).list(aliceId), 'bob lists')).length === 0, 'bob sees nothing in the list');
check(await ok(await alice.from(rlsBucket).download(`${aliceId}/a.txt`), 'alice downloads').text() === 'alice', 'alice reads her own');
check(ok(await bob.from(rlsBucket).remove([`${aliceId}/a.txt`]), 'bob remove').length === 0, 'bob cannot delete alice');

// Empty and delete buckets
failsWith(await admin.deleteBucket(bucket), '409', 'delete non-empty bucket');
ok(await admin.emptyBucket(bucket), 'emptyBucket');
ok(await admin.deleteBucket(bucket), 'deleteBucket');
failsWith(await admin.getBucket(bucket), '404', 'deleted bucket is gone');

console.log(JSON.stringify({ ok: true, checks }));
