// Realtime in Chromium's own WebSocket: two pages (clients A and B) on another origin than the server, with the
// protocol version BROWSER_VSN (1.0.0 or 2.0.0). A: postgres_changes on EDGE_TABLE, unfiltered and id=eq.2 (the
// xunit test inserts ids 1-3 once BROWSER_READY_DIR/changes exists). Both: a room with broadcast ack and presence;
// B also broadcasts over REST (httpSend: a cross-origin preflighted POST). Heartbeats run past the server's idle
// timeout, then B leaves and disconnects and A sees the leave.
// Output: one JSON line with every observation, the preflights Chromium sent and any CORS failure.
import { openBrowser, signalReady, done, fail, env, edgeUrl } from '../browser/browser-common.mjs'

const vsn = env.BROWSER_VSN
const session = await openBrowser()
try {
  const a = await session.newPage('a')
  const b = await session.newPage('b')
  await a.goto(`${session.origin}/realtime.html`)
  await b.goto(`${session.origin}/realtime.html`)
  const vsnA = await a.evaluate(([u, k, v]) => connect(u, k, v, 'A'), [edgeUrl, env.EDGE_ANON_KEY, vsn])
  const vsnB = await b.evaluate(([u, k, v]) => connect(u, k, v, 'B'), [edgeUrl, env.EDGE_ANON_KEY, vsn])
  const room = `room-${vsn}-${process.pid}`
  const joins = {
    changes: await a.evaluate(([t, topic]) => subscribeChanges(t, topic), [env.EDGE_TABLE, `changes-${process.pid}`]),
    roomA: await a.evaluate((r) => subscribeRoom(r, 'a'), room),
    roomB: await b.evaluate((r) => subscribeRoom(r, 'b'), room),
  }
  const started = Date.now()
  signalReady('changes')

  const tracks = { a: await a.evaluate(() => track({ name: 'alice' })), b: await b.evaluate(() => track({ name: 'bob' })) }
  await a.waitForFunction(() => state.presenceKeys.join() === 'a,b', null, { timeout: 15000 })
  await b.waitForFunction(() => state.presenceKeys.join() === 'a,b', null, { timeout: 15000 })

  const acks = { a: await a.evaluate(() => send('msg', { from: 'a', text: 'grüße' })), b: await b.evaluate(() => send('msg', { from: 'b' })) }
  const http = await b.evaluate(() => httpSend('rest', { from: 'b', via: 'httpSend' }))
  await a.waitForFunction(() => state.broadcasts.length >= 2, null, { timeout: 15000 })
  await b.waitForFunction(() => state.broadcasts.length >= 2, null, { timeout: 15000 })
  await a.waitForFunction(() => state.changesAll.length >= 3 && state.changesFiltered.length >= 1, null, { timeout: 30000 })

  // Past the server's idle timeout (4 s in tests) on heartbeats alone.
  const wait = Math.max(0, 6000 - (Date.now() - started))
  await a.waitForTimeout(wait)
  const beforeLeave = await a.evaluate(() => snapshot())

  await b.evaluate(() => leave())
  await a.waitForFunction(() => state.leaves.includes('b') && state.presenceKeys.join() === 'a', null, { timeout: 15000 })
  await a.waitForTimeout(300) // anything extra (a duplicate change, a second leave) would show in the final state
  const finalA = await a.evaluate(() => snapshot())
  const finalB = await b.evaluate(() => snapshot())
  const shots = [await session.screenshot(a, `realtime-${vsn}-a`), await session.screenshot(b, `realtime-${vsn}-b`)]
  await session.close()
  done({ vsnA, vsnB, joins, tracks, acks, http, beforeLeave, a: finalA, b: finalB, preflights: session.preflights(), corsErrors: session.corsErrors, shots })
} catch (error) {
  await fail(error, session)
}
