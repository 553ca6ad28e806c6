// Load scenario: one large file uploaded with tus-js-client (8 MiB chunks) to MadBase Edge and to @tus/server, on
// the file backend (@tus/file-store) and on S3 (@tus/s3-store) against the same S3 test server (s3rver-plus).
//
// Same conditions for both sides of a pair: both servers run at once (idle while the other uploads); each gets one
// unmeasured warm-up upload (JIT, connection pools, first-touch allocations); then RUNS measured uploads alternate
// between them (ours first in odd runs, the peer first in even ones); before every measured upload `sync` flushes
// the dirty page cache the previous one left (the peer's file-store never fsyncs, so its 200 MiB would otherwise be
// written back during the next upload, whoever's it is). Reported: the median of RUNS for MiB/s (client side,
// start() → onSuccess), server CPU-s per upload (utime+stime of the server process from /proc/PID/stat), the S3 test
// server's CPU-s separately, the client's and PostgreSQL's CPU-s (LOAD_PG_PID: the postmaster), others% (machine
// busy time not spent in any of these, as a share of all cores: other users of the box), and peak RSS (VmHWM) over
// the pair's whole life.
// The file peer's writes are not durable when it answers: "peer+fsync" adds the time to fsync its finished file, i.e.
// the same durability MadBase gives every PATCH (it fsyncs before reporting an offset).
// Then LOAD_CONCURRENT uploads at once to a freshly started server of each kind (peak RSS with N concurrent uploads).
// Each pair has a third, reference row in the same alternation, to read the figures against this machine's limits:
// on the file backend the floor (tus-floor-server.mjs: the bytes written at their offset and fdatasynced per request,
// MadBase's durability rule, and nothing else), on S3 a plain SDK multipart upload of the same file to the same
// s3rver (@aws-sdk/lib-storage, parts of the same size, its default 4 in flight) — what any S3 client costs there.
//
// Environment: MADBASE_BIN (published binary), MADBASE_DATABASE_URL (a PostgreSQL the binary may migrate),
//   LOAD_SIZE_MIB (200), LOAD_CHUNK_MIB (8), LOAD_RUNS (3), LOAD_DIR (scratch root), LOAD_BACKENDS ("file s3"),
//   LOAD_CONCURRENT (8; 0 skips), LOAD_CONCURRENT_PEER (1; 0 runs the concurrent uploads on MadBase only; with
//   LOAD_RUNS=0, only they run: for trying a setting's effect on peak RSS), LOAD_CONCURRENT_MIB (LOAD_SIZE_MIB), LOAD_PORT_BASE (24310: MadBase, +1 peer,
//   +2 S3 test server, +3 floor), LOAD_S3RVER (tests/js/s3rver-plus.mjs; its node_modules must be installed).
// Output: tables on stderr and one JSON line on stdout.
import { spawn, execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as tus from 'tus-js-client'
import { S3Client } from '@aws-sdk/client-s3'
import { Upload as SdkUpload } from '@aws-sdk/lib-storage'

const env = process.env
const MiB = 1024 * 1024
const sizeMiB = Number(env.LOAD_SIZE_MIB ?? 200)
const chunk = Number(env.LOAD_CHUNK_MIB ?? 8) * MiB
const runs = Number(env.LOAD_RUNS ?? 3)
const backends = (env.LOAD_BACKENDS ?? 'file s3').split(/[\s,]+/).filter(Boolean)
const concurrent = Number(env.LOAD_CONCURRENT ?? 8)
const concurrentMiB = Number(env.LOAD_CONCURRENT_MIB ?? sizeMiB)
const portBase = Number(env.LOAD_PORT_BASE ?? 24310)
const s3rverScript = path.resolve(env.LOAD_S3RVER ?? path.join(import.meta.dirname, '../../tests/js/s3rver-plus.mjs'))
const root = path.resolve(env.LOAD_DIR ?? '.load-work')
const secret = 'load-secret-load-secret-load-secret-0123456789'
const cores = os.cpus().length
fs.mkdirSync(root, { recursive: true })

function dataFile(mib) {
  const file = path.join(root, `data-${mib}m.bin`)
  if (!fs.existsSync(file) || fs.statSync(file).size !== mib * MiB) {
    const fd = fs.openSync(file, 'w')
    for (let i = 0; i < mib; i++) fs.writeSync(fd, crypto.randomBytes(MiB))
    fs.closeSync(fd)
  }
  return file
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim())
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }

function cpuSeconds(pid) {
  if (!pid) return 0 // the SDK row runs in this process: its CPU is the client's
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / clockTicks // utime, stime
}

function peakRssMiB(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'))
  return Number(line.split(/\s+/)[1]) / 1024
}

/** Busy CPU-seconds of the whole machine (all cores) from /proc/stat. */
function machineBusySeconds() {
  const [, ...f] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const [user, nice, system, , , irq, softirq, steal] = f.map(Number)
  return (user + nice + system + irq + softirq + (steal ?? 0)) / clockTicks
}

/** PostgreSQL's CPU-seconds (MadBase's database work): the postmaster, its live children and its reaped ones. */
const pgPid = Number(env.LOAD_PG_PID ?? 0)
function pgCpuSeconds() {
  if (!pgPid) return 0
  const stat = fs.readFileSync(`/proc/${pgPid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) // utime, stime, cutime, cstime
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
      const g = s.slice(s.lastIndexOf(')') + 2).split(' ')
      if (Number(g[1]) === pgPid) ticks += Number(g[11]) + Number(g[12])
    } catch { /* gone */ }
  }
  return ticks / clockTicks
}

const clientCpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6 }

async function waitFor(url, init) {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(url, init)
      if (res.status < 500) return
    } catch { /* not up yet */ }
    await sleep(100)
  }
  throw new Error(`${url} did not come up`)
}

function spawnChild(command, args, childEnv, name) {
  const proc = spawn(command, args, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] })
  proc.stdout.resume()
  const exited = new Promise((r) => proc.once('exit', r))
  proc.once('exit', (code, signal) => { if (!proc.stopping) console.error(`${name} exited early (${code ?? signal})`) })
  return { proc, pid: proc.pid, exited, stop: async () => { proc.stopping = true; proc.kill('SIGTERM'); await Promise.race([exited, sleep(15000)]); if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited } } }
}

function upload(file, endpoint, headers, metadata) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const u = new tus.Upload(fs.createReadStream(file), {
      endpoint, headers, metadata, chunkSize: chunk, retryDelays: [], uploadDataDuringCreation: true,
      storeFingerprintForResuming: false,
      onError: reject,
      onSuccess: () => resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, url: u.url }),
    })
    u.start()
  })
}

function startS3rver(dir, buckets) {
  const port = portBase + 2
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const child = spawnChild(process.execPath, ['--openssl-legacy-provider', s3rverScript, '--dir', dir, '--port', String(port), ...[...buckets, 'sdk-floor'].flatMap((b) => ['--bucket', b])], { PATH: env.PATH }, 's3rver-plus')
  child.endpoint = `http://127.0.0.1:${port}`
  child.ready = waitFor(`${child.endpoint}/`)
  return child
}

function startMadBase(backend, s3) {
  const port = portBase
  const dir = path.join(root, `madbase-${backend}`)
  fs.rmSync(dir, { recursive: true, force: true })
  const childEnv = {
    PATH: env.PATH,
    MADBASE_LISTEN: `http://127.0.0.1:${port}`,
    MADBASE_DATABASE_URL: env.MADBASE_DATABASE_URL,
    MADBASE_JWT_SECRET: secret,
    MADBASE_STORAGE_BACKEND: backend,
    MADBASE_STORAGE_DIR: path.join(dir, 'storage'),
    MADBASE_SCRATCH_DIR: path.join(dir, 'scratch'),
    ...(backend === 's3' ? {
      MADBASE_S3_ENDPOINT: s3.endpoint, MADBASE_S3_BUCKET: 'madbase-load', MADBASE_S3_ACCESS_KEY: 'S3RVER', MADBASE_S3_SECRET_KEY: 'S3RVER',
    } : {}),
  }
  // e.g. MADBASE_S3_PARTS_IN_FLIGHT, or a runtime setting (DOTNET_GCgen0size) under test
  for (const k of Object.keys(env)) if ((k.startsWith('MADBASE_S3_') || k.startsWith('DOTNET_')) && !(k in childEnv)) childEnv[k] = env[k]
  const child = spawnChild(env.MADBASE_BIN, [], childEnv, `madbase-edge (${backend})`)
  const token = execFileSync(env.MADBASE_BIN, ['token', 'service_role'], { env: childEnv }).toString().trim()
  const base = `http://127.0.0.1:${port}`
  child.name = `madbase-edge (${backend})`
  child.ready = (async () => {
    await waitFor(`${base}/ready`)
    const res = await fetch(`${base}/storage/v1/bucket`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'load', name: 'load' }),
    })
    if (res.status >= 300 && !(await res.clone().text()).includes('409')) throw new Error(`create bucket: ${res.status} ${await res.text()}`)
  })()
  child.endpoint = `${base}/storage/v1/upload/resumable`
  child.headers = { authorization: `Bearer ${token}`, apikey: token, 'x-upsert': 'true' }
  child.metadata = (i) => ({ bucketName: 'load', objectName: `run-${i}.bin`, contentType: 'application/octet-stream' })
  child.afterUpload = () => 0
  return child
}

function startPeer(backend, s3) {
  const port = portBase + 1
  const dir = path.join(root, `peer-${backend}`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const where = backend === 's3' ? ['s3', s3.endpoint, 'tus-peer', String(chunk)] : [dir]
  const child = spawnChild(process.execPath, [path.join(import.meta.dirname, 'tus-peer-server.mjs'), String(port), ...where], { PATH: env.PATH, NODE_NO_WARNINGS: '1' }, `@tus/server (${backend})`)
  child.name = backend === 's3' ? '@tus/server 2.4.5 + s3-store' : '@tus/server 2.4.5 + file-store'
  child.ready = waitFor(`http://127.0.0.1:${port}/files`, { method: 'OPTIONS' })
  child.endpoint = `http://127.0.0.1:${port}/files`
  child.headers = {}
  child.metadata = (i) => ({ filename: `run-${i}.bin` })
  // file-store: the upload's file is DIR/<id>. fsync it (what MadBase did per PATCH), then delete it (untimed) so
  // the disk does not fill over runs. Returns the fsync seconds.
  child.afterUpload = (url, durable) => {
    if (backend !== 'file') return 0
    const file = path.join(dir, path.basename(new URL(url).pathname))
    let seconds = 0
    if (durable) {
      const t0 = process.hrtime.bigint()
      const fd = fs.openSync(file, 'r+')
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      seconds = Number(process.hrtime.bigint() - t0) / 1e9
    }
    fs.rmSync(file, { force: true })
    fs.rmSync(`${file}.json`, { force: true })
    return seconds
  }
  return child
}

/** The file backend's floor: tus-floor-server.mjs, driven by tus-js-client like the others. */
function startFloor() {
  const port = portBase + 3
  const dir = path.join(root, 'floor')
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const child = spawnChild(process.execPath, [path.join(import.meta.dirname, 'tus-floor-server.mjs'), String(port), dir], { PATH: env.PATH }, 'floor')
  child.name = 'floor (write + fdatasync, Node)'
  child.ready = waitFor(`http://127.0.0.1:${port}/files`, { method: 'OPTIONS' })
  child.endpoint = `http://127.0.0.1:${port}/files`
  child.headers = {}
  child.metadata = () => ({})
  child.afterUpload = () => 0 // the sink deletes each finished file itself
  return child
}

/** The S3 backend's reference: the same file as one plain SDK multipart upload to the same s3rver, from this process. */
function sdkReference(s3) {
  const client = new S3Client({
    region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  })
  return {
    name: 'SDK multipart (lib-storage)', pid: 0, ready: Promise.resolve(), stop: async () => client.destroy(),
    afterUpload: () => 0,
    upload: async (file, i) => {
      const started = process.hrtime.bigint()
      await new SdkUpload({ client, params: { Bucket: 'sdk-floor', Key: `run-${i}.bin`, Body: fs.createReadStream(file) }, partSize: chunk }).done()
      return { seconds: Number(process.hrtime.bigint() - started) / 1e9, url: null }
    },
  }
}

const uploadTo = (server, file, i) => (server.upload ? server.upload(file, i) : upload(file, server.endpoint, server.headers, server.metadata(i)))

/** One measured upload to `server`; CPU and others% over exactly its duration. */
async function measuredUpload(server, s3, file, i) {
  execFileSync('sync') // untimed: start from a clean page cache, whoever left it dirty
  const c0 = cpuSeconds(server.pid), s0 = s3 ? cpuSeconds(s3.pid) : 0, k0 = clientCpuSeconds(), p0 = pgCpuSeconds(), m0 = machineBusySeconds()
  const { seconds, url } = await uploadTo(server, file, i)
  const c1 = cpuSeconds(server.pid), s1 = s3 ? cpuSeconds(s3.pid) : 0, k1 = clientCpuSeconds(), p1 = pgCpuSeconds(), m1 = machineBusySeconds()
  const fsyncSeconds = server.afterUpload(url, true)
  const serverCpu = c1 - c0, s3Cpu = s1 - s0, clientCpu = k1 - k0, pgCpu = p1 - p0
  const others = Math.max(0, (m1 - m0) - serverCpu - s3Cpu - clientCpu - pgCpu) / (cores * seconds)
  return { seconds, fsyncSeconds, serverCpu, s3Cpu, clientCpu, pgCpu, othersPct: 100 * others }
}

async function stopAll(children) {
  for (const c of children) if (c) await c.stop()
}

async function pair(backend) {
  const file = dataFile(sizeMiB)
  const s3 = backend === 's3' ? startS3rver(path.join(root, 's3-pair'), ['madbase-load', 'tus-peer']) : null
  let ours, peer, reference
  try {
    if (s3) await s3.ready
    ours = startMadBase(backend, s3)
    peer = startPeer(backend, s3)
    reference = s3 ? sdkReference(s3) : startFloor()
    await Promise.all([ours.ready, peer.ready, reference.ready])
    const servers = [ours, peer, reference]
    for (const server of servers) { // warm-up, unmeasured
      const { url } = await uploadTo(server, file, 'warmup')
      server.afterUpload(url, false)
    }
    const samples = new Map(servers.map((server) => [server, []]))
    for (let i = 0; i < runs; i++) {
      for (const server of [...servers.slice(i % 3), ...servers.slice(0, i % 3)]) { // each goes first once in three
        const m = await measuredUpload(server, s3, file, i)
        samples.get(server).push(m)
        console.error(`  ${backend} run ${i + 1}/${runs} ${server.name.padEnd(30)} ${(sizeMiB / m.seconds).toFixed(1).padStart(7)} MiB/s  server ${m.serverCpu.toFixed(2)} CPU-s${s3 ? `  s3rver ${m.s3Cpu.toFixed(2)}` : ''}  client ${m.clientCpu.toFixed(2)}  pg ${m.pgCpu.toFixed(2)}  others ${m.othersPct.toFixed(0)}%${m.fsyncSeconds ? `  (+fsync ${(m.fsyncSeconds * 1000).toFixed(0)} ms)` : ''}`)
      }
    }
    const summary = (server) => {
      const xs = samples.get(server)
      return {
        name: server.name,
        mibPerSecond: median(xs.map((m) => sizeMiB / m.seconds)),
        runsMibPerSecond: xs.map((m) => +(sizeMiB / m.seconds).toFixed(1)),
        durableMibPerSecond: median(xs.map((m) => sizeMiB / (m.seconds + m.fsyncSeconds))),
        cpuSecondsPerUpload: median(xs.map((m) => m.serverCpu)),
        s3rverCpuSecondsPerUpload: s3 ? median(xs.map((m) => m.s3Cpu)) : undefined,
        clientCpuSecondsPerUpload: median(xs.map((m) => m.clientCpu)),
        pgCpuSecondsPerUpload: median(xs.map((m) => m.pgCpu)),
        othersPct: xs.map((m) => +m.othersPct.toFixed(0)),
        peakRssMiB: server.pid ? peakRssMiB(server.pid) : undefined,
      }
    }
    const result = { backend, madbase: summary(ours), peer: summary(peer), reference: summary(reference), s3rverPeakRssMiB: s3 ? peakRssMiB(s3.pid) : undefined }
    result.ratios = {
      throughput: result.madbase.mibPerSecond / result.peer.mibPerSecond,
      ofReference: result.madbase.mibPerSecond / result.reference.mibPerSecond,
      throughputVsDurablePeer: result.madbase.mibPerSecond / result.peer.durableMibPerSecond,
      cpu: result.madbase.cpuSecondsPerUpload / result.peer.cpuSecondsPerUpload,
      peakRss: result.madbase.peakRssMiB / result.peer.peakRssMiB,
    }
    return result
  } finally {
    await stopAll([ours, peer, reference, s3])
  }
}

/** LOAD_CONCURRENT uploads at once to a fresh server: aggregate MiB/s and the server's peak RSS. */
async function concurrentUploads(backend, kind) {
  const file = dataFile(concurrentMiB)
  const s3 = backend === 's3' ? startS3rver(path.join(root, `s3-conc-${kind}`), ['madbase-load', 'tus-peer']) : null
  let server
  try {
    if (s3) await s3.ready
    server = kind === 'madbase' ? startMadBase(backend, s3) : startPeer(backend, s3)
    await server.ready
    execFileSync('sync')
    const c0 = cpuSeconds(server.pid), t0 = process.hrtime.bigint()
    const done = await Promise.all(Array.from({ length: concurrent }, (_, i) => upload(file, server.endpoint, server.headers, server.metadata(`c${i}`))))
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const cpu = cpuSeconds(server.pid) - c0
    for (const { url } of done) server.afterUpload(url, false)
    const r = { backend, name: server.name, uploads: concurrent, mibEach: concurrentMiB, aggregateMibPerSecond: (concurrent * concurrentMiB) / seconds, cpuSeconds: cpu, peakRssMiB: peakRssMiB(server.pid), s3rverPeakRssMiB: s3 ? peakRssMiB(s3.pid) : undefined }
    console.error(`  ${backend} ${concurrent} concurrent × ${concurrentMiB} MiB ${server.name.padEnd(30)} ${r.aggregateMibPerSecond.toFixed(1).padStart(7)} MiB/s aggregate  ${cpu.toFixed(2)} CPU-s  peak RSS ${r.peakRssMiB.toFixed(1)} MiB`)
    return r
  } finally {
    await stopAll([server, s3])
  }
}

const pairs = []
const concurrency = []
for (const backend of backends) {
  console.error(`${backend}: ${sizeMiB} MiB via tus-js-client, ${chunk / MiB} MiB chunks, 1 warm-up + ${runs} alternating runs each`)
  if (runs > 0) pairs.push(await pair(backend))
  if (concurrent > 0) {
    concurrency.push(await concurrentUploads(backend, 'madbase'))
    if (env.LOAD_CONCURRENT_PEER !== '0') concurrency.push(await concurrentUploads(backend, 'peer'))
  }
}

const f1 = (x) => x.toFixed(1), f2 = (x) => x.toFixed(2)
const mark = (ok) => (ok ? '✔' : '✘')
console.error(`\n${sizeMiB} MiB via tus-js-client, ${chunk / MiB} MiB chunks, medians of ${runs} (CPU-s per upload)`)
for (const p of pairs) {
  for (const r of [p.madbase, p.peer, p.reference]) {
    const cpu = r === p.reference && p.backend === 's3' ? `${f2(r.clientCpuSecondsPerUpload).padStart(5)} CPU-s (the SDK client)` : `${f2(r.cpuSecondsPerUpload).padStart(5)} CPU-s`
    const rss = r.peakRssMiB === undefined ? '' : ` ${f1(r.peakRssMiB).padStart(6)} MiB peak RSS`
    console.error(`${r.name.padEnd(32)} ${f1(r.mibPerSecond).padStart(7)} MiB/s [${r.runsMibPerSecond.join(', ')}] ${cpu}${r.s3rverCpuSecondsPerUpload !== undefined ? ` (+ s3rver ${f2(r.s3rverCpuSecondsPerUpload)})` : ''}${r.pgCpuSecondsPerUpload >= 0.005 ? ` (+ pg ${f2(r.pgCpuSecondsPerUpload)})` : ''}${rss}  others% ${r.othersPct.join('/')}`)
  }
  if (p.backend === 'file') console.error(`${'  peer with fsync of its file'.padEnd(32)} ${f1(p.peer.durableMibPerSecond).padStart(7)} MiB/s`)
  const q = p.ratios
  // Issue #16's goals, all ratios within this run.
  const goal = p.backend === 'file'
    ? `goals: ≥ 1.5× the peer ${mark(q.throughput >= 1.5)}, ≥ 60 % of the floor ${mark(q.ofReference >= 0.6)}, CPU ≤ 0.5× the peer's ${mark(q.cpu <= 0.5)}`
    : `goals: ≥ 90 % of the plain SDK upload ${mark(q.ofReference >= 0.9)}, CPU ≤ 0.25× the peer's ${mark(q.cpu <= 0.25)}`
  console.error(`ratios (${p.backend}) madbase/peer: throughput ${f2(q.throughput)}x${p.backend === 'file' ? ` (vs peer+fsync ${f2(q.throughputVsDurablePeer)}x)` : ''}, server CPU ${f2(q.cpu)}x, peak RSS ${f2(q.peakRss)}x; madbase/${p.backend === 'file' ? 'floor' : 'SDK'} ${f2(q.ofReference)}x; ${goal}`)
}
for (const c of concurrency) {
  const goal = c.name.startsWith('madbase') ? `  goal ≤ 48 MiB: ${mark(c.peakRssMiB <= 48)}` : ''
  console.error(`${c.uploads} concurrent (${c.backend}) ${c.name.padEnd(30)} peak RSS ${f1(c.peakRssMiB)} MiB, ${f1(c.aggregateMibPerSecond)} MiB/s aggregate, ${f2(c.cpuSeconds)} CPU-s${goal}`)
}
console.log(JSON.stringify({ sizeMiB, chunkMiB: chunk / MiB, runs, cores, pairs, concurrency }))
