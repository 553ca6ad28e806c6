// Start -> ready for `make footprint`: spawns the server (argv[2], environment inherited, output to argv[4]) and asks
// GET /ready on port argv[3] every 2 ms until the first 200, then prints the milliseconds from spawn and the PID and
// leaves the server running. Asked from this already-running process, because starting a curl per poll (5-10 ms each on this
// machine) and sleeping 10 ms between polls added up to 20 ms to the figure. Bounded: gives up after 30 s.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'

const [bin, port, logFile] = process.argv.slice(2)
const log = fs.openSync(logFile, 'w')
const started = process.hrtime.bigint()
const child = spawn(bin, [], { stdio: ['ignore', log, log], detached: true })
child.unref()

const ask = () => new Promise((resolve) => {
  const req = http.get({ host: '127.0.0.1', port: Number(port), path: '/ready', agent: false }, (res) => {
    res.resume()
    res.on('end', () => resolve(res.statusCode))
  })
  req.on('error', () => resolve(0))
  req.setTimeout(1000, () => { req.destroy(); resolve(0) })
})

const deadline = Date.now() + 30_000
while (Date.now() < deadline) {
  if ((await ask()) === 200) {
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    console.log(`${ms.toFixed(1)} ${child.pid}`)
    process.exit(0)
  }
  if (child.exitCode !== null) break
  await new Promise((resolve) => setTimeout(resolve, 2))
}
console.log(`- ${child.pid}`)
process.exit(1)
