// Uploads a file with Uppy (@uppy/core + @uppy/tus), configured as Supabase's docs show for resumable uploads:
// endpoint /storage/v1/upload/resumable, Bearer + apikey headers, uploadDataDuringCreation, 6 MiB chunks, and the
// Supabase metadata fields allowed through `allowedMetaFields`.
//
// Inputs (environment): UPPY_ENDPOINT, UPPY_TOKEN, UPPY_FILE, UPPY_BUCKET, UPPY_OBJECT
// Output: one JSON line {ok, object, bytes, uploadURL}
import fs from 'node:fs'
import path from 'node:path'
import Uppy from '@uppy/core'
import Tus from '@uppy/tus'

const env = process.env
const bytes = fs.readFileSync(env.UPPY_FILE)

const uppy = new Uppy({ autoProceed: false })
uppy.use(Tus, {
  endpoint: env.UPPY_ENDPOINT,
  headers: { authorization: `Bearer ${env.UPPY_TOKEN}`, apikey: env.UPPY_TOKEN, 'x-upsert': 'false' },
  uploadDataDuringCreation: true,
  removeFingerprintOnSuccess: true,
  chunkSize: 6 * 1024 * 1024,
  retryDelays: [0, 500, 1000],
  allowedMetaFields: ['bucketName', 'objectName', 'contentType', 'cacheControl', 'metadata'],
})

uppy.on('file-added', (file) => {
  file.meta = {
    ...file.meta,
    bucketName: env.UPPY_BUCKET,
    objectName: env.UPPY_OBJECT,
    contentType: 'application/octet-stream',
    cacheControl: '3600',
    metadata: JSON.stringify({ via: 'uppy' }),
  }
})

// In Node, tus-js-client (under @uppy/tus) reads a Buffer or a Readable, not a Blob; Uppy takes the size from `.size`.
uppy.addFile({ name: path.basename(env.UPPY_FILE), type: 'application/octet-stream', data: Object.assign(bytes, { size: bytes.length }) })
const result = await uppy.upload()
if (result.failed.length > 0) {
  console.error(result.failed.map((f) => String(f.error)).join('\n'))
  process.exit(1)
}
const file = result.successful[0]
console.log(JSON.stringify({ ok: true, object: env.UPPY_OBJECT, bytes: bytes.length, uploadURL: file.uploadURL ?? file.response?.uploadURL }))
