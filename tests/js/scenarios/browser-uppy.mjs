// Uppy with @uppy/tus in Chromium on another origin, configured as Supabase's guide does: a 50 MiB file set through
// the page's file input, paused after two chunks, the page reloaded, the same file chosen again (Uppy's tus plugin
// finds the earlier upload through tus-js-client's findPreviousUploads and resumes it from the server's offset),
// then completed. Every request to the server is recorded so the test can tell a resume from a restart.
// Then tus-js-client's own UMD build uploads a 7 MiB Blob made in the page (EDGE_OBJECT + ".tus").
// Output: one JSON line: sha256 of the file, requests (method, Upload-Offset), state before/after, the tus-js-client
// upload's URL and sha256, preflights.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { openBrowser, done, fail, env, edgeUrl } from '../browser/browser-common.mjs'

const size = Number(env.BROWSER_FILE_BYTES ?? 50 * 1024 * 1024)
const file = path.join(env.BROWSER_ARTIFACTS, `uppy-${process.pid}.bin`)
const bytes = crypto.randomBytes(size)
fs.writeFileSync(file, bytes)
const sha256 = crypto.createHash('sha256').update(bytes).digest('hex')

const session = await openBrowser()
try {
  const page = await session.newPage('uppy')
  const requests = []
  let phase = 'first'
  page.on('request', (request) => {
    if (!request.url().includes('/upload/resumable')) return
    const headers = request.headers()
    requests.push({ method: request.method(), url: request.url(), offset: headers['upload-offset'] ?? null, phase: phase })
  })
  page.on('response', async (response) => {
    const request = response.request()
    if (request.url().includes('/upload/resumable') && request.method() === 'HEAD') {
      requests.push({ method: 'HEAD-response', status: response.status(), offset: (await response.allHeaders())['upload-offset'] ?? null, phase })
    }
  })
  const setup = { url: edgeUrl, token: env.EDGE_USER_TOKEN, anonKey: env.EDGE_ANON_KEY, bucket: env.EDGE_BUCKET, objectName: env.EDGE_OBJECT }

  await page.goto(`${session.origin}/uppy.html`)
  await page.evaluate((s) => setup(s), setup)
  await page.setInputFiles('#file', file)
  // Loopback moves 50 MiB in well under a second: the first attempt is throttled (Chromium's own network
  // emulation, 16 MiB/s up) so the pause surely lands mid-upload. The resumed attempt runs at full speed.
  const cdp = await session.context.newCDPSession(page)
  const throttle = (up) => cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: up })
  await cdp.send('Network.enable')
  await throttle(16 * 1024 * 1024)
  const startedAt = Date.now()
  await page.evaluate(() => start())
  await page.waitForFunction(() => state.progress >= 12 * 1024 * 1024 || state.errors.length > 0, null, { timeout: 60000 })
  await page.evaluate(() => pause())
  const pausedAfterMs = Date.now() - startedAt
  await throttle(-1)
  await page.waitForTimeout(500) // the aborted PATCH settles; whatever reached the server stays there
  const paused = await page.evaluate(() => ({ ...state }))
  const firstShot = await session.screenshot(page, 'uppy-paused')

  phase = 'reloaded'
  await page.reload()
  await page.evaluate((s) => setup(s), setup)
  await page.setInputFiles('#file', file)
  await page.evaluate(() => start())
  await page.waitForFunction(() => state.success !== null || state.errors.length > 0, null, { timeout: 90000 })
  const final = await page.evaluate(() => ({ ...state, fingerprintsLeft: Object.keys(localStorage).filter((k) => k.startsWith('tus::')).length }))
  phase = 'tus-js-client'
  const tusClient = await page.evaluate((s) => tusUpload({ ...s, objectName: `${s.objectName}.tus`, bytes: 7 * 1024 * 1024 + 3 }), setup)
  const shot = await session.screenshot(page, 'uppy-completed')
  await session.close()
  fs.rmSync(file)
  done({ size, sha256, paused: { ...paused, afterMs: pausedAfterMs }, final, tusClient, requests, preflights: session.preflights(), corsErrors: session.corsErrors, shots: [firstShot, shot] })
} catch (error) {
  fs.rmSync(file, { force: true })
  await fail(error, session)
}
