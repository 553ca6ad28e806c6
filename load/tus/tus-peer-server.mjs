// The reference peer: @tus/server 2.4.5 with @tus/file-store on 127.0.0.1 (peers-and-tools.md Appendix B).
// Usage: node tus-peer-server.mjs PORT DIR
import http from 'node:http'
import { Server } from '@tus/server'
import { FileStore } from '@tus/file-store'

const [port, dir] = process.argv.slice(2)
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) })
http.createServer((req, res) => tus.handle(req, res)).listen(Number(port), '127.0.0.1', () => {
  console.log(`tus peer listening on 127.0.0.1:${port}`)
})
