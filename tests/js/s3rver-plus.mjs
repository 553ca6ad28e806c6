// s3rver-plus: s3rver 3.7.1 plus the four S3 behaviours it lacks and that MadBase Edge, AWSSDK.S3 (.NET) and
// @tus/s3-store rely on (docs/test-peers.md §s3rver-plus shim):
//   1. ListParts              GET    /<bucket>/<key>?uploadId=…   (stock answers 405)
//   2. AbortMultipartUpload   DELETE /<bucket>/<key>?uploadId=…   (stock answers 405)
//   3. NoSuchUpload           any request naming an unknown uploadId (stock accepts UploadPart after abort/complete)
//   4. aws-chunked bodies     decoded before s3rver stores them (stock stores the chunk framing verbatim)
//   5. CopyObject sources     AWSSDK.S3's fully percent-encoded x-amz-copy-source (stock splits before decoding)
// Everything else (UploadPart, Complete, objects, listing) stays with the stock code. Test peer only: the added
// handlers skip signature checks, addressing is path-style, and it binds 127.0.0.1.
//
// Usage: node --openssl-legacy-provider tests/js/s3rver-plus.mjs --dir DIR [--port 4568] [--bucket NAME ...] [--verbose]
import { createCipheriv } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MAX_PARTS = 1000; // S3's own cap on one ListParts page

const xmlEscape = s => String(s).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`);
const leaves = fields => Object.entries(fields).map(([tag, value]) => `<${tag}>${xmlEscape(value)}</${tag}>`).join('');

// s3rver keeps an in-progress upload under <dir>/<bucket>/._S3rver_uploads/<uploadId>/ with files `key`,
// `metadata`, and `<n>` + `<n>.md5` per part. An upload exists iff that folder exists and names this key.
async function findUpload(dir, bucket, key, uploadId) {
  // s3rver ids are hex; both checks also keep '..' and '/' out of the path built below.
  if (!/^[0-9a-f]+$/i.test(uploadId) || !/^[A-Za-z0-9._-]+$/.test(bucket) || /^\.\.?$/.test(bucket)) return null;
  const uploadDir = join(dir, bucket, '._S3rver_uploads', uploadId);
  const storedKey = await readFile(join(uploadDir, 'key'), 'utf8').catch(() => null);
  return storedKey === key ? uploadDir : null;
}

function nonNegativeInt(ctx, name, fallback) {
  const raw = ctx.query[name];
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) {
    throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { ArgumentName: name, ArgumentValue: raw });
  }
  return Number(raw);
}

async function listParts(ctx, uploadDir, bucket, key, uploadId) {
  const marker = nonNegativeInt(ctx, 'part-number-marker', 0);
  const maxParts = Math.min(nonNegativeInt(ctx, 'max-parts', MAX_PARTS), MAX_PARTS);
  const numbers = (await readdir(uploadDir)).filter(f => /^\d+$/.test(f)).map(Number).filter(n => n > marker).sort((a, b) => a - b);
  const page = numbers.slice(0, maxParts);
  const parts = await Promise.all(
    page.map(async n => {
      const [info, md5] = await Promise.all([stat(join(uploadDir, `${n}`)), readFile(join(uploadDir, `${n}.md5`), 'utf8')]);
      return `<Part>${leaves({ PartNumber: n, LastModified: info.mtime.toISOString(), ETag: `"${md5.trim()}"`, Size: info.size })}</Part>`;
    }),
  );
  const summary = leaves({
    Bucket: bucket, Key: key, UploadId: uploadId, StorageClass: 'STANDARD',
    PartNumberMarker: marker, NextPartNumberMarker: page.length ? page[page.length - 1] : marker,
    MaxParts: maxParts, IsTruncated: numbers.length > page.length,
  });
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="${S3_NS}">${summary}${parts.join('')}</ListPartsResult>`;
}

// aws-chunked (SigV4 streaming, signed or unsigned, optional trailers):
//   <hex size>[;chunk-signature=…]\r\n <size bytes> \r\n  …  0[;…]\r\n [trailer lines]\r\n
// Emits only the data bytes; everything after the zero-size chunk (trailing checksums) is dropped.
function awsChunkedDecoder(expectedLength) {
  let pending = Buffer.alloc(0);
  let remaining = -1; // data bytes left in the current chunk; -1 = reading a size line, -2 = past the last chunk
  let decoded = 0;
  return new Transform({
    transform(chunk, _enc, done) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      try {
        while (remaining !== -2 && pending.length) {
          if (remaining === -1) {
            const eol = pending.indexOf('\r\n');
            if (eol < 0) break;
            const size = pending.subarray(0, eol).toString('latin1').split(';')[0];
            if (!/^[0-9a-fA-F]+$/.test(size)) throw new Error(`bad aws-chunked size line "${size}"`);
            remaining = parseInt(size, 16);
            pending = pending.subarray(eol + 2);
            if (remaining === 0) remaining = -2;
          } else {
            if (pending.length < remaining + 2) {
              const take = Math.min(remaining, pending.length); // stream the data, keep only framing buffered
              if (take) this.push(pending.subarray(0, take));
              decoded += take; remaining -= take; pending = pending.subarray(take);
              break;
            }
            if (remaining) this.push(pending.subarray(0, remaining)); // 0: data already streamed, only CRLF left
            decoded += remaining;
            if (pending[remaining] !== 0x0d || pending[remaining + 1] !== 0x0a) throw new Error('aws-chunked data not followed by CRLF');
            pending = pending.subarray(remaining + 2);
            remaining = -1;
          }
        }
        if (remaining === -2) pending = Buffer.alloc(0);
        done();
      } catch (err) {
        done(err);
      }
    },
    flush(done) {
      if (remaining !== -2) return done(new Error('aws-chunked body ended before the final zero-size chunk'));
      if (decoded !== expectedLength) return done(new Error(`aws-chunked decoded ${decoded} bytes, header said ${expectedLength}`));
      done();
    },
  });
}

function decodeAwsChunked(ctx) {
  const h = ctx.req.headers;
  const streaming = String(h['x-amz-content-sha256'] ?? '').startsWith('STREAMING-') || /aws-chunked/i.test(h['content-encoding'] ?? '');
  if (!streaming || h['x-amz-decoded-content-length'] === undefined) return;
  const length = Number(h['x-amz-decoded-content-length']);
  const decoder = awsChunkedDecoder(length);
  const raw = ctx.req;
  raw.on('error', err => decoder.destroy(err));
  // s3rver's store pipes the body into its own hashing stream and listens for errors only there, and it attaches
  // that stream only after an await, when a framing error may already have happened. So the error is remembered
  // here and forwarded to whichever stream the store attaches; the request then fails with 500 instead of hanging
  // (or crashing the process on an unhandled 'error').
  let failure;
  let target;
  decoder.on('error', err => {
    failure = err;
    target?.destroy(err);
  });
  const pipe = decoder.pipe.bind(decoder);
  decoder.pipe = (dest, options) => {
    target = dest;
    if (failure) process.nextTick(() => dest.destroy(failure));
    return pipe(dest, options);
  };
  // Headers stay on the original request (ctx.headers === ctx.request.req.headers); controllers read the body
  // from ctx.req, which is what gets replaced.
  h['content-length'] = String(length);
  const encodings = String(h['content-encoding'] ?? '').split(',').map(s => s.trim()).filter(s => s && s.toLowerCase() !== 'aws-chunked');
  if (encodings.length) h['content-encoding'] = encodings.join(', ');
  else delete h['content-encoding'];
  ctx.req = raw.pipe(decoder);
}

// CopyObject: AWSSDK.S3 (.NET) percent-encodes the whole x-amz-copy-source, slashes included (real S3 accepts
// that); stock s3rver splits the header on '/' before decoding it and so finds no bucket. Re-encode it per segment.
function normalizeCopySource(ctx) {
  const source = ctx.headers['x-amz-copy-source'];
  if (!source || !/%2F/i.test(source)) return;
  const [path, query] = String(source).split('?');
  ctx.headers['x-amz-copy-source'] = decodeURIComponent(path).split('/').map(encodeURIComponent).join('/') + (query ? `?${query}` : '');
}

function shim(dir) {
  return async function s3rverPlus(ctx, next) {
    const uploadId = ctx.query.uploadId;
    // Path-style: /<bucket>/<key…>. Only decoded for uploadId requests so that every other path keeps reaching
    // the stock router exactly as it arrived.
    const [, rawBucket, ...rawKey] = ctx.path.split('/');
    if (uploadId !== undefined && rawBucket && rawKey.join('')) {
      const bucket = decodeURIComponent(rawBucket);
      const key = rawKey.map(decodeURIComponent).join('/');
      const uploadDir = await findUpload(dir, bucket, key, String(uploadId));
      if (!uploadDir) {
        throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId });
      }
      if (ctx.method === 'GET') return listParts(ctx, uploadDir, bucket, key, uploadId);
      if (ctx.method === 'DELETE') {
        await rm(uploadDir, { recursive: true, force: true });
        ctx.status = 204;
        return;
      }
    }
    if (ctx.method === 'PUT' || ctx.method === 'POST') decodeAwsChunked(ctx);
    normalizeCopySource(ctx);
    await next();
  };
}

function legacyDesAvailable() {
  // s3rver's ListObjectsV2 continuation tokens use DES, which OpenSSL 3 only offers through the legacy provider.
  try {
    createCipheriv('des', Buffer.alloc(8), Buffer.alloc(8));
    return true;
  } catch {
    return false;
  }
}

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    port: { type: 'string', default: '4568' },
    bucket: { type: 'string', multiple: true, default: [] },
    verbose: { type: 'boolean', default: false },
  },
});
if (!values.dir) {
  console.error('usage: node --openssl-legacy-provider s3rver-plus.mjs --dir DIR [--port 4568] [--bucket NAME ...] [--verbose]');
  process.exit(2);
}
if (!legacyDesAvailable()) {
  console.error('s3rver-plus: DES unavailable; run node with --openssl-legacy-provider (paged ListObjectsV2 needs it)');
  process.exit(2);
}
mkdirSync(values.dir, { recursive: true });

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(values.port),
  directory: values.dir,
  silent: !values.verbose,
  vhostBuckets: false, // path-style only
  configureBuckets: values.bucket.map(name => ({ name })),
});
server.middleware.unshift(shim(values.dir));
const { address, port } = await server.run();
console.log(`s3rver-plus ready http://${address}:${port} dir=${values.dir} buckets=${values.bucket.join(',') || '-'}`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    // Keep-alive sockets would hold close() open for seconds; a test peer has nothing in flight worth waiting for.
    const closed = server.close().catch(() => {});
    server.httpServer.closeAllConnections();
    await closed;
    process.exit(0);
  });
}
