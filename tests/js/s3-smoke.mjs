// S3 smoke test for the s3rver-plus peer (or any S3 endpoint): exercises every S3 call MadBase Edge's upload path
// makes, with @aws-sdk/client-s3 in default settings. Exits non-zero on the first failure.
//
// Usage: node tests/js/s3-smoke.mjs [--port 4568] [--bucket smoke]
import { createHash, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '4568' }, bucket: { type: 'string', default: 'smoke' } },
});
const endpoint = `http://127.0.0.1:${values.port}`;
const Bucket = values.bucket;
const run = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`; // keeps reruns on one data dir apart
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});

const MiB = 1024 * 1024;
const sha256 = buf => createHash('sha256').update(buf).digest('hex');
const md5 = buf => createHash('md5').update(buf).digest('hex');
let passed = 0;

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

async function step(name, fn) {
  const started = performance.now();
  await fn();
  passed++;
  console.log(`ok  ${name} (${Math.round(performance.now() - started)} ms)`);
}

async function body(response) {
  return Buffer.from(await response.Body.transformToByteArray());
}

async function expectError(name, fn) {
  try {
    await fn();
  } catch (err) {
    check(err.name === name, `expected ${name}, got ${err.name}: ${err.message}`);
    return;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

const smallKey = `${run}/hello.txt`;
const small = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz'); // 36 bytes
const bigKey = `${run}/folder/big.bin`;
const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB)];
const big = Buffer.concat(parts);

try {
  await step('create bucket (or reuse it)', async () => {
    try {
      await s3.send(new CreateBucketCommand({ Bucket }));
    } catch (err) {
      check(['BucketAlreadyExists', 'BucketAlreadyOwnedByYou'].includes(err.name), `CreateBucket: ${err.name}`);
    }
  });

  await step('PutObject + HeadObject', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket, Key: smallKey, Body: small, ContentType: 'text/plain' }));
    check(put.ETag === `"${md5(small)}"`, `ETag ${put.ETag}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: smallKey }));
    check(head.ContentLength === 36, `ContentLength ${head.ContentLength}`);
    check(head.ContentType === 'text/plain', `ContentType ${head.ContentType}`);
  });

  await step('GetObject Range bytes=10-19', async () => {
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: smallKey, Range: 'bytes=10-19' }));
    check(got.ContentRange === 'bytes 10-19/36', `ContentRange ${got.ContentRange}`);
    check((await body(got)).toString() === 'abcdefghij', 'range body');
  });

  await step('PutObject with a raw aws-chunked body is stored decoded', async () => {
    // What AWSSDK.S3 (.NET) sends by default: SigV4 streaming framing with a trailing checksum. Sent unsigned,
    // because s3rver accepts anonymous requests and the shim decodes before any signature would matter.
    const payload = Buffer.from('aws-chunked payload, split into two chunks');
    const framed = Buffer.concat([
      Buffer.from(`10;chunk-signature=${'0'.repeat(64)}\r\n`), payload.subarray(0, 16), Buffer.from('\r\n'),
      Buffer.from(`${(payload.length - 16).toString(16)};chunk-signature=${'1'.repeat(64)}\r\n`), payload.subarray(16), Buffer.from('\r\n'),
      Buffer.from(`0;chunk-signature=${'2'.repeat(64)}\r\n`), Buffer.from('x-amz-checksum-crc32:AAAAAA==\r\n\r\n'),
    ]);
    const key = `${run}/chunked.txt`;
    const res = await fetch(`${endpoint}/${Bucket}/${key}`, {
      method: 'PUT',
      body: framed,
      headers: {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(payload.length),
        'x-amz-trailer': 'x-amz-checksum-crc32',
      },
    });
    check(res.status === 200, `PUT status ${res.status}: ${await res.text()}`);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
    check((await body(got)).equals(payload), 'decoded body');
    check(got.ContentEncoding === undefined, `ContentEncoding ${got.ContentEncoding}`);
  });

  let uploadId;
  const etags = [];
  await step('multipart: create + 3 x 5 MiB UploadPart', async () => {
    ({ UploadId: uploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: bigKey, ContentType: 'application/octet-stream' })));
    check(uploadId, 'UploadId');
    for (const [i, part] of parts.entries()) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket, Key: bigKey, UploadId: uploadId, PartNumber: i + 1, Body: part }));
      check(ETag === `"${md5(part)}"`, `part ${i + 1} ETag ${ETag}`);
      etags.push(ETag);
    }
  });

  await step('ListParts (all, then paged with MaxParts=2)', async () => {
    const all = await s3.send(new ListPartsCommand({ Bucket, Key: bigKey, UploadId: uploadId }));
    check(all.Parts?.length === 3, `Parts ${all.Parts?.length}`);
    check(all.IsTruncated === false, 'IsTruncated');
    all.Parts.forEach((p, i) => {
      check(p.PartNumber === i + 1 && p.Size === 5 * MiB && p.ETag === etags[i], `part ${i + 1}: ${JSON.stringify(p)}`);
    });
    const first = await s3.send(new ListPartsCommand({ Bucket, Key: bigKey, UploadId: uploadId, MaxParts: 2 }));
    check(first.Parts.length === 2 && first.IsTruncated === true, 'first page');
    const second = await s3.send(
      new ListPartsCommand({ Bucket, Key: bigKey, UploadId: uploadId, PartNumberMarker: first.NextPartNumberMarker }),
    );
    check(second.Parts.length === 1 && second.Parts[0].PartNumber === 3 && second.IsTruncated === false, 'second page');
  });

  await step('CompleteMultipartUpload + sha256 of the whole object + cross-part range', async () => {
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket, Key: bigKey, UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const got = await body(await s3.send(new GetObjectCommand({ Bucket, Key: bigKey })));
    check(got.length === big.length && sha256(got) === sha256(big), 'sha256 of completed object');
    const start = 5 * MiB - 8;
    const range = await s3.send(new GetObjectCommand({ Bucket, Key: bigKey, Range: `bytes=${start}-${start + 15}` }));
    check((await body(range)).equals(big.subarray(start, start + 16)), 'range across part 1/2 boundary');
  });

  await step('UploadPart after Complete -> NoSuchUpload', () =>
    expectError('NoSuchUpload', () =>
      s3.send(new UploadPartCommand({ Bucket, Key: bigKey, UploadId: uploadId, PartNumber: 4, Body: Buffer.from('late') })),
    ),
  );

  await step('multipart: create + part + AbortMultipartUpload, then UploadPart -> NoSuchUpload', async () => {
    const key = `${run}/aborted.bin`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
    await s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: 1, Body: randomBytes(1024) }));
    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId }));
    await expectError('NoSuchUpload', () =>
      s3.send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: 2, Body: Buffer.from('x') })),
    );
    await expectError('NoSuchUpload', () => s3.send(new ListPartsCommand({ Bucket, Key: key, UploadId })));
    await expectError('NoSuchKey', () => s3.send(new GetObjectCommand({ Bucket, Key: key })));
  });

  await step('ListObjectsV2 with MaxKeys=1 + continuation token', async () => {
    const expected = [`${run}/chunked.txt`, bigKey, smallKey].sort();
    const seen = [];
    let ContinuationToken;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `${run}/`, MaxKeys: 1, ContinuationToken }));
      check((page.Contents ?? []).length <= 1, 'page size');
      seen.push(...(page.Contents ?? []).map(o => o.Key));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      check(!page.IsTruncated || ContinuationToken, 'truncated page without a token');
    } while (ContinuationToken);
    check(JSON.stringify(seen) === JSON.stringify(expected), `keys ${JSON.stringify(seen)}`);
  });

  await step('DeleteObject, then HeadObject -> NotFound', async () => {
    for (const Key of [smallKey, bigKey, `${run}/chunked.txt`]) await s3.send(new DeleteObjectCommand({ Bucket, Key }));
    await expectError('NotFound', () => s3.send(new HeadObjectCommand({ Bucket, Key: smallKey })));
  });

  console.log(`${passed} passed, 0 failed`);
} catch (err) {
  console.error(`FAIL: ${err.stack ?? err}`);
  console.log(`${passed} passed, 1 failed`);
  process.exitCode = 1;
} finally {
  s3.destroy();
}
