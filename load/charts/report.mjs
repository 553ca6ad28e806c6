// Turns the load results into SVG charts and load/results/REPORT.md: vega-lite specs compiled to vega and rendered
// headless by vega's SVG renderer (no browser, no canvas). Inputs that are missing are skipped, and the report says so.
//   realtime: .madbase/load-rt/results.txt, the driver's RESULT lines (load/scenarios/realtime-fanout.sh)
//   tus:      .madbase/load-tus/results.json, tus-bench's JSON line (load/scenarios/tus.sh)
//   metrics:  a /metrics text snapshot (--metrics FILE) or a live server scraped twice (--metrics-url URL, 5 s apart)
// Usage: node load/charts/report.mjs [--rt FILE] [--tus FILE] [--metrics FILE | --metrics-url URL] [--out DIR]
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import * as vega from 'vega'
import * as vl from 'vega-lite'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..')
const { values: args } = parseArgs({
  options: {
    rt: { type: 'string', default: path.join(root, '.madbase/load-rt/results.txt') },
    tus: { type: 'string', default: path.join(root, '.madbase/load-tus/results.json') },
    metrics: { type: 'string' },
    'metrics-url': { type: 'string' },
    out: { type: 'string', default: path.join(root, 'load/results') },
  },
})
fs.mkdirSync(args.out, { recursive: true })

const sections = []
const width = 560
const height = 300

async function chart(file, title, spec) {
  const full = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width, height, background: 'white', ...spec }
  const view = new vega.View(vega.parse(vl.compile(full).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  fs.writeFileSync(path.join(args.out, file), svg)
  return `![${title}](${file})`
}

/** RESULT key=value … lines → objects with numbers where the value is one. */
function resultLines(text) {
  return text.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => Object.fromEntries(l.slice(7).trim().split(/\s+/).map((kv) => {
    const i = kv.indexOf('=')
    const v = kv.slice(i + 1)
    return [kv.slice(0, i), v !== '' && !Number.isNaN(Number(v)) ? Number(v) : v]
  })))
}

if (fs.existsSync(args.rt)) {
  const rows = resultLines(fs.readFileSync(args.rt, 'utf8'))
  const steps = rows.filter((r) => r.mode === 'ramp-step').flatMap((r) => [
    { server: r.server, rate: r.rate, ms: r.p50_ms, percentile: 'p50', pass: r.pass === 1 },
    { server: r.server, rate: r.rate, ms: r.p99_ms, percentile: 'p99', pass: r.pass === 1 },
  ])
  const idle = rows.filter((r) => r.mode === 'idle').map((r) => ({ server: r.server, connections: r.subs, rssMiB: r.rss_kib / 1024 }))
  const fanout = rows.filter((r) => r.mode === 'fanout').map((r) => ({ server: r.server, cpuPerMillion: r.server_cpu_per_m, p99: r.p99_ms, dps: r.dps }))
  const parts = [`## Realtime (${path.relative(root, args.rt)})`]
  if (steps.length > 0) {
    parts.push(await chart('realtime-latency-vs-rate.svg', 'Ramp: delivery latency vs publish rate', {
      data: { values: steps },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'rate', type: 'quantitative', title: 'ticks/s (each to every subscriber)' },
        y: { field: 'ms', type: 'quantitative', title: 'latency (ms)', scale: { type: 'log' } },
        color: { field: 'server', type: 'nominal' },
        strokeDash: { field: 'percentile', type: 'nominal' },
        shape: { field: 'pass', type: 'nominal', title: 'step passed' },
      },
    }))
  }
  if (idle.length > 0) {
    parts.push(await chart('realtime-rss-vs-connections.svg', 'Idle: server RSS vs open connections', {
      data: { values: idle },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'connections', type: 'quantitative' },
        y: { field: 'rssMiB', type: 'quantitative', title: 'RSS (MiB)' },
        color: { field: 'server', type: 'nominal' },
      },
    }))
  }
  if (fanout.length > 0) {
    parts.push(await chart('realtime-fanout-cpu.svg', 'Fan-out: server CPU-seconds per million deliveries', {
      data: { values: fanout },
      mark: 'bar',
      encoding: {
        x: { field: 'server', type: 'nominal', sort: '-y' },
        y: { field: 'cpuPerMillion', type: 'quantitative', title: 'CPU-s per 1M deliveries' },
        color: { field: 'server', type: 'nominal', legend: null },
      },
    }))
  }
  if (parts.length === 1) parts.push('No RESULT lines in the file.')
  sections.push(parts.join('\n\n'))
} else {
  sections.push(`## Realtime\n\nNo results: ${path.relative(root, args.rt)} is missing (run \`make load SCENARIOS=realtime-fanout\`).`)
}

if (fs.existsSync(args.tus)) {
  const run = JSON.parse(fs.readFileSync(args.tus, 'utf8').trim().split('\n').pop())
  // The reference row (the file floor, the S3 SDK upload) is charted too; the SDK runs in the driver, so it has no
  // server CPU or RSS of its own (left out of those charts).
  const servers = run.pairs.flatMap((p) => [p.madbase, p.peer, p.reference].filter(Boolean).map((r) => ({
    backend: p.backend, server: r.name, mibPerSecond: r.mibPerSecond,
    cpuSeconds: r === p.reference && p.backend === 's3' ? null : r.cpuSecondsPerUpload, peakRssMiB: r.peakRssMiB ?? null,
  })))
  const bars = (file, title, field, axis) => chart(file, title, {
    data: { values: servers },
    mark: 'bar',
    encoding: {
      y: { field: 'server', type: 'nominal', title: null },
      x: { field, type: 'quantitative', title: axis },
      color: { field: 'backend', type: 'nominal' },
      row: { field: 'backend', type: 'nominal', title: null },
    },
    resolve: { scale: { y: 'independent' } },
    height: 60,
  })
  sections.push([
    `## TUS uploads (${path.relative(root, args.tus)}: ${run.sizeMiB} MiB, ${run.chunkMiB} MiB chunks, medians of ${run.runs})`,
    await bars('tus-throughput.svg', 'TUS upload throughput per server', 'mibPerSecond', 'MiB/s'),
    await bars('tus-cpu.svg', 'Server CPU-seconds per upload', 'cpuSeconds', 'CPU-s per upload'),
    await bars('tus-rss.svg', 'Server peak RSS during the uploads', 'peakRssMiB', 'peak RSS (MiB)'),
  ].join('\n\n'))
} else {
  sections.push(`## TUS uploads\n\nNo results: ${path.relative(root, args.tus)} is missing (run \`make load SCENARIOS=tus\`).`)
}

/** Prometheus text → [{name, labels, value}] for the madbase_* samples (histogram buckets left out). */
function samples(text) {
  // LSNs are positions, not amounts: left out of the bars.
  return text.split('\n').filter((l) => l.startsWith('madbase_') && !l.includes('_bucket{') && !/^madbase_\S*_lsn[ {]/.test(l)).map((l) => {
    const m = /^([a-z_:0-9]+)(\{[^}]*\})?\s+(\S+)/.exec(l)
    return m ? { name: m[1], labels: m[2] ?? '', value: Number(m[3]) } : null
  }).filter((s) => s && Number.isFinite(s.value))
}

let metricsText = args.metrics ? fs.readFileSync(args.metrics, 'utf8') : null
let rates = null
if (args['metrics-url']) {
  const first = await (await fetch(args['metrics-url'])).text()
  await new Promise((r) => setTimeout(r, 5000))
  metricsText = await (await fetch(args['metrics-url'])).text()
  const before = new Map(samples(first).map((s) => [s.name + s.labels, s.value]))
  rates = samples(metricsText).filter((s) => s.name.endsWith('_total') && before.has(s.name + s.labels))
    .map((s) => ({ series: s.name + s.labels, perSecond: (s.value - before.get(s.name + s.labels)) / 5 }))
    .filter((s) => s.perSecond > 0)
}
if (metricsText !== null) {
  const all = samples(metricsText).filter((s) => s.value !== 0).map((s) => ({ series: s.name + s.labels, value: s.value, kind: s.name.endsWith('_total') ? 'counter' : 'gauge' }))
  const parts = [`## /metrics (${args['metrics-url'] ?? path.relative(root, args.metrics)}: ${all.length} non-zero madbase_* series)`]
  const bars = (file, title, values, field, axis) => chart(file, title, {
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'series', type: 'nominal', sort: '-x', title: null, axis: { labelLimit: 420 } },
      x: { field, type: 'quantitative', title: axis, scale: { type: 'symlog' } },
    },
    height: { step: 14 },
  })
  for (const kind of ['gauge', 'counter']) {
    const values = all.filter((s) => s.kind === kind)
    if (values.length > 0) parts.push(await bars(`metrics-${kind}s.svg`, `/metrics ${kind}s (non-zero)`, values, 'value', kind === 'gauge' ? 'value' : 'total'))
  }
  if (rates && rates.length > 0) parts.push(await bars('metrics-rates.svg', '/metrics counters: rate over 5 s', rates, 'perSecond', 'per second'))
  sections.push(parts.join('\n\n'))
}

const report = [
  '# Load report',
  '',
  `Generated ${new Date().toISOString()} by \`make charts\` (load/charts/report.mjs) from the files named in each section;`,
  'the numbers and the conditions they were measured under are in load/README.md.',
  '',
  sections.join('\n\n'),
  '',
].join('\n')
fs.writeFileSync(path.join(args.out, 'REPORT.md'), report)
console.log(`wrote ${path.relative(root, path.join(args.out, 'REPORT.md'))} and ${fs.readdirSync(args.out).filter((f) => f.endsWith('.svg')).length} SVG charts`)
