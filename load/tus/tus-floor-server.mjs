// The floor of the TUS scenario: the least a server can do to take an upload the way MadBase does — the bytes of each
// request written to one file at their offset, then fdatasync, then the offset reported (MadBase's durability rule).
// Just enough TUS 1.0 for tus-js-client (creation with upload, PATCH, HEAD); no validation, no database, no
// metadata, so its MiB/s is what this machine's loopback, Node's HTTP parser and the disk allow together.
// Usage: node tus-floor-server.mjs PORT DIR
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'

const [port, dir] = process.argv.slice(2)
const uploads = new Map() // id -> { fd, length, offset }
let next = 0

function take(req, res, upload, status, extra) {
  req.on('data', (chunk) => {
    fs.writeSync(upload.fd, chunk, 0, chunk.length, upload.offset)
    upload.offset += chunk.length
  })
  req.on('end', () => {
    fs.fdatasyncSync(upload.fd)
    res.writeHead(status, { 'tus-resumable': '1.0.0', 'upload-offset': String(upload.offset), ...extra })
    res.end()
    if (upload.offset === upload.length) {
      fs.closeSync(upload.fd)
      fs.rmSync(upload.file, { force: true }) // the bench only times the upload; keep the disk from filling
      uploads.delete(upload.id)
    }
  })
}

http.createServer((req, res) => {
  const id = req.url.startsWith('/files/') ? req.url.slice('/files/'.length) : null
  if (req.method === 'POST' && req.url === '/files') {
    const upload = { id: String(++next), length: Number(req.headers['upload-length']), offset: 0 }
    upload.file = path.join(dir, upload.id)
    upload.fd = fs.openSync(upload.file, 'w')
    uploads.set(upload.id, upload)
    take(req, res, upload, 201, { location: `/files/${upload.id}` })
  } else if (req.method === 'PATCH' && uploads.has(id)) {
    take(req, res, uploads.get(id), 204, {})
  } else if (req.method === 'HEAD' && uploads.has(id)) {
    const upload = uploads.get(id)
    res.writeHead(200, { 'tus-resumable': '1.0.0', 'upload-offset': String(upload.offset), 'upload-length': String(upload.length), 'cache-control': 'no-store' })
    res.end()
  } else {
    res.writeHead(req.method === 'OPTIONS' ? 204 : 404, { 'tus-resumable': '1.0.0', 'tus-version': '1.0.0' })
    res.end()
  }
}).listen(Number(port), '127.0.0.1', () => console.log(`tus floor sink listening on 127.0.0.1:${port}`))
