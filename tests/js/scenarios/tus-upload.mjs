// Uploads files to MadBase Edge with the real tus-js-client, configured the way Supabase's docs say
// (docs/protocol/tus-and-storage.md §Recommended client settings): endpoint /storage/v1/upload/resumable, Bearer +
// apikey, x-upsert, Supabase metadata, uploadDataDuringCreation, removeFingerprintOnSuccess, 6 MiB chunks.
//
// Inputs (environment):
//   TUS_ENDPOINT  http://127.0.0.1:PORT/storage/v1/upload/resumable
//   TUS_TOKEN     JWT for Authorization and apikey
//   TUS_FILE      file to upload          TUS_BUCKET, TUS_OBJECT  destination (TUS_OBJECT gets "-<i>" when TUS_COUNT > 1)
//   TUS_CHUNK     chunk size in bytes (default 6 MiB)
//   TUS_MODE      single | resume | defer | parallel | concurrent
//   TUS_COUNT     uploads at once (concurrent)      TUS_PARALLEL  parallelUploads (parallel)
//   TUS_ABORT_AFTER  bytes after which the first attempt is aborted (resume)
//   TUS_RETRY_DELAYS comma list of ms (default 0,500,1000,2000,3000)
//   TUS_PROGRESS_FILE  if set, bytes sent so far are written there on every progress event (for crash tests)
//   TUS_PAUSE_DIR   (resume) if set, after the abort the script writes <dir>/paused (the upload URL) and waits for
//                   <dir>/go before resuming, so a test can change the server's side in between (at most 120 s)
// Output: one JSON line {ok, results:[{object, url, bytes}], resumedFrom?}
import fs from 'node:fs'
import { Readable } from 'node:stream'
import * as tus from 'tus-js-client'

const env = process.env
const endpoint = env.TUS_ENDPOINT
const token = env.TUS_TOKEN
const file = env.TUS_FILE
const chunkSize = Number(env.TUS_CHUNK ?? 6 * 1024 * 1024)
const mode = env.TUS_MODE ?? 'single'
const retryDelays = (env.TUS_RETRY_DELAYS ?? '0,500,1000,2000,3000').split(',').filter((x) => x !== '').map(Number)
const size = fs.statSync(file).size

// A urlStorage that works in Node (the default is a no-op there): what findPreviousUploads reads back.
class MemoryUrlStorage {
  constructor() { this.items = new Map(); this.n = 0 }
  async findAllUploads() { return [...this.items.entries()].map(([k, v]) => ({ ...v, urlStorageKey: k })) }
  async findUploadsByFingerprint(fp) {
    return [...this.items.entries()].filter(([k]) => k.startsWith(`tus::${fp}::`)).map(([k, v]) => ({ ...v, urlStorageKey: k }))
  }
  async removeUpload(key) { this.items.delete(key) }
  async addUpload(fp, upload) { const key = `tus::${fp}::${this.n++}`; this.items.set(key, upload); return key }
}
const urlStorage = new MemoryUrlStorage()

function options(objectName, extra = {}) {
  return {
    endpoint,
    retryDelays,
    headers: { authorization: `Bearer ${token}`, apikey: token, 'x-upsert': env.TUS_UPSERT ?? 'false' },
    uploadDataDuringCreation: true,
    removeFingerprintOnSuccess: true,
    chunkSize,
    urlStorage,
    metadata: {
      bucketName: env.TUS_BUCKET,
      objectName,
      contentType: 'application/octet-stream',
      cacheControl: '3600',
      metadata: JSON.stringify({ scenario: mode }),
    },
    ...extra,
  }
}

function run(source, opts) {
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(source, {
      ...opts,
      onError: reject,
      onSuccess: () => resolve(upload),
    })
    upload.start()
  })
}

const objectName = env.TUS_OBJECT
const results = []
let resumedFrom = null

if (mode === 'single') {
  const progressFile = env.TUS_PROGRESS_FILE
  const onProgress = progressFile ? (sent) => fs.writeFileSync(progressFile, String(sent)) : undefined
  const upload = await run(fs.createReadStream(file), options(objectName, { onProgress }))
  results.push({ object: objectName, url: upload.url })
} else if (mode === 'parallel') {
  const upload = await run(fs.createReadStream(file), options(objectName, {
    parallelUploads: Number(env.TUS_PARALLEL ?? 3),
    uploadDataDuringCreation: false,
    storeFingerprintForResuming: false,
    removeFingerprintOnSuccess: false,
  }))
  results.push({ object: objectName, url: upload.url })
} else if (mode === 'defer') {
  // A plain stream of unknown length: tus-js-client defers Upload-Length and sends it with the last PATCH.
  const stream = Readable.from(fs.createReadStream(file))
  const upload = await run(stream, options(objectName, { uploadLengthDeferred: true, storeFingerprintForResuming: false }))
  results.push({ object: objectName, url: upload.url })
} else if (mode === 'concurrent') {
  const count = Number(env.TUS_COUNT ?? 8)
  const uploads = await Promise.all([...Array(count).keys()].map((i) =>
    run(fs.createReadStream(file), options(`${objectName}-${i}`, { storeFingerprintForResuming: false }))))
  uploads.forEach((u, i) => results.push({ object: `${objectName}-${i}`, url: u.url }))
} else if (mode === 'resume') {
  const abortAfter = Number(env.TUS_ABORT_AFTER ?? chunkSize)
  const firstUrl = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(fs.createReadStream(file), {
      ...options(objectName),
      onError: reject,
      onSuccess: () => reject(new Error('the first attempt finished before it was aborted')),
      onChunkComplete: (_chunk, accepted) => {
        if (accepted >= abortAfter) {
          upload.abort(false).then(() => resolve(upload.url), reject)
        }
      },
    })
    upload.start()
  })
  if (env.TUS_PAUSE_DIR) {
    fs.writeFileSync(`${env.TUS_PAUSE_DIR}/paused`, firstUrl)
    const deadline = Date.now() + 120_000
    while (!fs.existsSync(`${env.TUS_PAUSE_DIR}/go`)) {
      if (Date.now() > deadline) throw new Error('the test never said go')
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  // A new Upload object, as after a page reload: find the stored URL and continue from the server's offset.
  const second = await new Promise((resolve, reject) => {
    const upload = new tus.Upload(fs.createReadStream(file), {
      ...options(objectName),
      onError: reject,
      onSuccess: () => resolve(upload),
      onProgress: (sent) => { if (resumedFrom === null) resumedFrom = sent },
    })
    upload.findPreviousUploads().then((previous) => {
      if (previous.length === 0) { reject(new Error('findPreviousUploads returned nothing')); return }
      upload.resumeFromPreviousUpload(previous[0])
      upload.start()
    }, reject)
  })
  if (second.url !== firstUrl) throw new Error(`resumed a different upload: ${second.url} vs ${firstUrl}`)
  results.push({ object: objectName, url: second.url })
} else {
  throw new Error(`unknown TUS_MODE ${mode}`)
}

console.log(JSON.stringify({ ok: true, size, results, resumedFrom }))
