// Load scenario: one large file uploaded with tus-js-client (8 MiB chunks) to MadBase Edge (file backend) and to
// @tus/server + @tus/file-store, one server at a time on an otherwise idle machine. Reports client-side MiB/s and
// the server's CPU seconds (utime+stime from /proc/PID/stat) and peak RSS (VmHWM) over the run, plus ratios.
//
// Environment: MADBASE_BIN (published binary), MADBASE_DATABASE_URL (a PostgreSQL the binary may migrate),
//   LOAD_SIZE_MIB (default 200), LOAD_CHUNK_MIB (default 8), LOAD_RUNS (default 3), LOAD_DIR (scratch root),
//   LOAD_PORT_MADBASE (default 5610), LOAD_PORT_PEER (default 5611).
// Output: a table on stderr and one JSON line on stdout.
import { spawn, execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import * as tus from 'tus-js-client'

const env = process.env
const MiB = 1024 * 1024
const sizeMiB = Number(env.LOAD_SIZE_MIB ?? 200)
const chunk = Number(env.LOAD_CHUNK_MIB ?? 8) * MiB
const runs = Number(env.LOAD_RUNS ?? 3)
const root = path.resolve(env.LOAD_DIR ?? '.load-work')
const secret = 'load-secret-load-secret-load-secret-0123456789'
fs.mkdirSync(root, { recursive: true })

const file = path.join(root, `data-${sizeMiB}m.bin`)
if (!fs.existsSync(file) || fs.statSync(file).size !== sizeMiB * MiB) {
  const fd = fs.openSync(file, 'w')
  for (let i = 0; i < sizeMiB; i++) fs.writeSync(fd, crypto.randomBytes(MiB))
  fs.closeSync(fd)
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / clockTicks // utime, stime
}

function peakRssMiB(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))
  return Number(line.split(/\s+/)[1]) / 1024
}

async function waitFor(url, init) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(url, init)
      if (res.status < 500) return
    } catch { /* not up yet */ }
    await sleep(100)
  }
  throw new Error(`${url} did not come up`)
}

function upload(endpoint, headers, metadata) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const u = new tus.Upload(fs.createReadStream(file), {
      endpoint, headers, metadata, chunkSize: chunk, retryDelays: [], uploadDataDuringCreation: true,
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve(Number(process.hrtime.bigint() - started) / 1e9),
    })
    u.start()
  })
}

async function measure(name, start, clientFor) {
  const child = start()
  try {
    await child.ready
    const { endpoint, headers, metadata } = clientFor(child)
    const cpu0 = cpuSeconds(child.pid)
    const times = []
    for (let i = 0; i < runs; i++) times.push(await upload(endpoint, headers, metadata(i)))
    const cpu = (cpuSeconds(child.pid) - cpu0) / runs
    const best = Math.min(...times)
    return { name, mibPerSecond: sizeMiB / best, secondsBest: best, cpuSecondsPerUpload: cpu, peakRssMiB: peakRssMiB(child.pid) }
  } finally {
    child.process.kill('SIGTERM')
    await new Promise((r) => child.process.once('exit', r))
  }
}

function startMadBase() {
  const port = Number(env.LOAD_PORT_MADBASE ?? 5610)
  const dir = path.join(root, `madbase-${Date.now()}`)
  const childEnv = {
    PATH: env.PATH,
    MADBASE_LISTEN: `http://127.0.0.1:${port}`,
    MADBASE_DATABASE_URL: env.MADBASE_DATABASE_URL,
    MADBASE_JWT_SECRET: secret,
    MADBASE_STORAGE_BACKEND: 'file',
    MADBASE_STORAGE_DIR: path.join(dir, 'storage'),
    MADBASE_SCRATCH_DIR: path.join(dir, 'scratch'),
  }
  const proc = spawn(env.MADBASE_BIN, [], { env: childEnv, stdio: ['ignore', 'ignore', 'inherit'] })
  const token = execFileSync(env.MADBASE_BIN, ['token', 'service_role'], { env: childEnv }).toString().trim()
  const base = `http://127.0.0.1:${port}`
  const ready = (async () => {
    await waitFor(`${base}/ready`)
    await fetch(`${base}/storage/v1/bucket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'load', name: 'load' }),
    })
  })()
  return { process: proc, pid: proc.pid, ready, token, endpoint: `${base}/storage/v1/upload/resumable` }
}

function startPeer() {
  const port = Number(env.LOAD_PORT_PEER ?? 5611)
  const dir = path.join(root, `peer-${Date.now()}`)
  fs.mkdirSync(dir, { recursive: true })
  const proc = spawn(process.execPath, [path.join(import.meta.dirname, 'tus-peer-server.mjs'), String(port), dir], { stdio: ['ignore', 'ignore', 'inherit'] })
  const ready = waitFor(`http://127.0.0.1:${port}/files`, { method: 'OPTIONS' })
  return { process: proc, pid: proc.pid, ready, endpoint: `http://127.0.0.1:${port}/files` }
}

const madbase = await measure('madbase-edge (file)', startMadBase, (child) => ({
  endpoint: child.endpoint,
  headers: { authorization: `Bearer ${child.token}`, apikey: child.token, 'x-upsert': 'true' },
  metadata: (i) => ({ bucketName: 'load', objectName: `run-${i}.bin`, contentType: 'application/octet-stream' }),
}))
const peer = await measure('@tus/server 2.4.5 + file-store', startPeer, (child) => ({
  endpoint: child.endpoint,
  headers: {},
  metadata: (i) => ({ filename: `run-${i}.bin` }),
}))

const ratios = {
  throughput: madbase.mibPerSecond / peer.mibPerSecond,
  cpu: madbase.cpuSecondsPerUpload / peer.cpuSecondsPerUpload,
  peakRss: madbase.peakRssMiB / peer.peakRssMiB,
}
const row = (r) => `${r.name.padEnd(32)} ${r.mibPerSecond.toFixed(1).padStart(8)} MiB/s ${r.cpuSecondsPerUpload.toFixed(2).padStart(7)} CPU-s ${r.peakRssMiB.toFixed(1).padStart(8)} MiB peak RSS`
console.error(`${sizeMiB} MiB via tus-js-client, ${chunk / MiB} MiB chunks, best of ${runs} (CPU-s averaged per upload)`)
console.error(row(madbase))
console.error(row(peer))
console.error(`ratios madbase/peer: throughput ${ratios.throughput.toFixed(2)}x, CPU ${ratios.cpu.toFixed(2)}x, peak RSS ${ratios.peakRss.toFixed(2)}x`)
console.log(JSON.stringify({ sizeMiB, chunkMiB: chunk / MiB, runs, madbase, peer, ratios }))
