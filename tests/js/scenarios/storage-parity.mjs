// Answers storage-js clients compare literally with upstream's (supabase/storage), through the real clients against a
// running MadBase Edge (docs/protocol/tus-and-storage.md §Storage error table). Inputs (environment): MADBASE_URL,
// MADBASE_SERVICE_KEY, MADBASE_ANON_KEY, MADBASE_USER_A_TOKEN.
// Prints one JSON line last: {"ok":true,"checks":N}; exits 1 at the first failed check.
import { StorageClient } from '@supabase/storage-js';
import { randomBytes } from 'node:crypto';
import { admin, alice, check, checks, ok, url } from './storage-common.mjs';

const anonymous = new StorageClient(`${url}/storage/v1`, {}); // no Authorization, no apikey

// storage-js' StorageApiError: message and code from the body, statusCode the body's string, status the HTTP status.
const failsWith = (result, { status, statusCode, code, message }, what) => {
  const e = result.error;
  check(e && e.status === status && e.statusCode === statusCode && e.code === code && e.message === message, what,
    e ? { status: e.status, statusCode: e.statusCode, code: e.code, message: e.message } : 'no error');
};

const bucket = `parity-${randomBytes(4).toString('hex')}`;
ok(await admin.createBucket(bucket, { public: false, fileSizeLimit: '1KB' }), 'createBucket');

// 1. info() of an object uploaded without user metadata: metadata is {} (upstream stores {}), never null
ok(await admin.from(bucket).upload('plain.txt', 'plain', { contentType: 'text/plain' }), 'upload without metadata');
const info = ok(await admin.from(bucket).info('plain.txt'), 'info');
check(info.metadata !== null && typeof info.metadata === 'object' && Object.keys(info.metadata).length === 0, 'info metadata is {}', info);
check(info.size === 5 && info.contentType === 'text/plain' && typeof info.etag === 'string' && info.bucketId === bucket, 'info fields', info);

// 2. Error texts and codes
failsWith(await admin.from(bucket).upload('big.bin', randomBytes(2_000), { contentType: 'application/octet-stream' }),
  { status: 400, statusCode: '413', code: 'EntityTooLarge', message: 'The object exceeded the maximum allowed size' }, 'upload over the bucket limit');
failsWith(await anonymous.from(bucket).list(''),
  { status: 400, statusCode: '403', code: 'AccessDenied', message: 'Invalid Compact JWS' }, 'no Authorization header');
const raw = await fetch(`${url}/storage/v1/object/list/${bucket}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prefix":""}' });
check(raw.status === 400 && JSON.stringify(await raw.json()) === '{"statusCode":"403","error":"Unauthorized","message":"Invalid Compact JWS","code":"AccessDenied"}',
  'no Authorization header: the whole body', raw.status);
failsWith(await admin.createBucket('no/slashes'),
  { status: 400, statusCode: '400', code: 'InvalidBucketName', message: 'Bucket name invalid' }, 'invalid bucket name');
failsWith(await admin.from(bucket).download('nothing.txt'),
  { status: 400, statusCode: '404', code: 'NoSuchKey', message: 'Object not found' }, 'missing object');
failsWith(await alice.emptyBucket(bucket),
  { status: 403, statusCode: '403', code: 'AccessDenied', message: 'Access denied: Invalid role' }, 'emptyBucket as a user');
check(ok(await admin.emptyBucket(bucket), 'emptyBucket').message === 'Empty bucket has been queued. Completion may take up to an hour.', 'emptyBucket message');
check(ok(await admin.from(bucket).list(''), 'list after empty').length === 0, 'emptyBucket emptied the bucket');
ok(await admin.deleteBucket(bucket), 'deleteBucket');

console.log(JSON.stringify({ ok: true, checks: checks() }));
