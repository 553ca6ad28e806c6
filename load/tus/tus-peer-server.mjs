// The reference peer: @tus/server 2.4.5 with @tus/file-store or @tus/s3-store on 127.0.0.1
// (docs/test-peers.md §Reference TUS peer: s3-store with 8 MiB parts, no tags, path style, S3RVER credentials,
// checksums only when required).
// Usage: node tus-peer-server.mjs PORT DIR                       (file-store under DIR)
//        node tus-peer-server.mjs PORT s3 ENDPOINT BUCKET [PART_BYTES]
import http from 'node:http'
import { Server } from '@tus/server'

const [port, where, endpoint, bucket, partBytes] = process.argv.slice(2)
let datastore
if (where === 's3') {
  const { S3Store } = await import('@tus/s3-store')
  datastore = new S3Store({
    partSize: Number(partBytes ?? 8 * 1024 * 1024),
    useTags: false,
    s3ClientConfig: {
      bucket, region: 'us-east-1', endpoint, forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
    },
  })
} else {
  const { FileStore } = await import('@tus/file-store')
  datastore = new FileStore({ directory: where })
}
const tus = new Server({ path: '/files', datastore })
http.createServer((req, res) => tus.handle(req, res)).listen(Number(port), '127.0.0.1', () => {
  console.log(`tus peer (${where === 's3' ? 's3-store' : 'file-store'}) listening on 127.0.0.1:${port}`)
})
