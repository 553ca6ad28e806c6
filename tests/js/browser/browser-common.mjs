// Shared by the browser scenarios (tests/js/scenarios/browser-*.mjs): Debian's chromium driven headless by
// playwright-core (its own browser download cannot work here, so it is pointed at the system binary), the page
// server on another origin, a record of every CORS preflight Chromium sends (from the DevTools protocol: Playwright's
// own request events leave preflights out) and of every CORS failure, and the screenshot of each page's final state.
import fs from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import { startStaticServer } from './static-server.mjs'

export const env = process.env
export const edgeUrl = env.EDGE_URL

export async function openBrowser() {
  const pages = await startStaticServer(Number(env.BROWSER_PORT))
  const browser = await chromium.launch({
    executablePath: env.BROWSER_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--autoplay-policy=no-user-gesture-required', '--disable-dev-shm-usage'],
  })
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } })
  const preflights = new Map()
  const corsErrors = []
  const consoleLines = []

  async function newPage(name) {
    const page = await context.newPage()
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    cdp.on('Network.requestWillBeSent', (e) => {
      if (e.type === 'Preflight' || e.initiator?.type === 'preflight') {
        preflights.set(e.requestId, { page: name, url: e.request.url, method: e.request.method, status: null, allowOrigin: null, requestHeaders: e.request.headers['Access-Control-Request-Headers'] ?? null })
      }
    })
    cdp.on('Network.responseReceived', (e) => {
      const p = preflights.get(e.requestId)
      if (p) {
        p.status = e.response.status
        const h = Object.fromEntries(Object.entries(e.response.headers).map(([k, v]) => [k.toLowerCase(), v]))
        p.allowOrigin = h['access-control-allow-origin'] ?? null
        p.allowHeaders = h['access-control-allow-headers'] ?? null
      }
    })
    cdp.on('Network.loadingFailed', (e) => {
      if (e.corsErrorStatus || preflights.has(e.requestId)) corsErrors.push({ page: name, error: e.errorText, cors: e.corsErrorStatus?.corsError ?? null })
    })
    page.on('console', (m) => {
      const line = `${name} ${m.type()}: ${m.text()}`
      consoleLines.push(line)
      if (/CORS|Access-Control/i.test(m.text())) corsErrors.push({ page: name, error: m.text() })
    })
    page.on('pageerror', (e) => consoleLines.push(`${name} pageerror: ${e.message}`))
    return page
  }

  async function screenshot(page, name) {
    fs.mkdirSync(env.BROWSER_ARTIFACTS, { recursive: true })
    const file = path.join(env.BROWSER_ARTIFACTS, `${name}.png`)
    await page.screenshot({ path: file, fullPage: true })
    return file
  }

  async function close() {
    await browser.close()
    await pages.close()
  }

  return { browser, context, origin: pages.origin, newPage, screenshot, close, preflights: () => [...preflights.values()], corsErrors, consoleLines }
}

/** Tells the xunit test (which polls for the file) that the page is ready for the database writes it makes. */
export function signalReady(name) {
  if (env.BROWSER_READY_DIR) fs.writeFileSync(path.join(env.BROWSER_READY_DIR, name), String(Date.now()))
}

/** Prints the one JSON line NodeScript reads, then exits (a page left open must not keep node alive). */
export function done(result) {
  console.log(JSON.stringify(result))
  process.exit(0)
}

export async function fail(error, session) {
  console.error(String(error?.stack ?? error))
  if (session) console.error(session.consoleLines.join('\n'))
  process.exit(1)
}
