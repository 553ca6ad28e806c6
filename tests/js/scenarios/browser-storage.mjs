// storage-js (supabase-js's browser build) in Chromium on another origin: createBucket + listBuckets (service key),
// upload / list / download / signed URL (a user's JWT, under the fixture's br-* policies), a ranged fetch of the
// signed URL, and a <video> playing and seeking in it (Chromium's media stack makes its own Range requests).
// Output: one JSON line: the page's results, the media requests' statuses and ranges, preflights, CORS failures.
import { openBrowser, done, fail, env, edgeUrl } from '../browser/browser-common.mjs'

const session = await openBrowser()
try {
  const page = await session.newPage('storage')
  const media = []
  page.on('response', async (response) => {
    const request = response.request()
    if (request.url().includes('/object/sign/') && request.resourceType() === 'media') {
      const headers = await request.allHeaders()
      media.push({ status: response.status(), range: headers.range ?? null, contentRange: (await response.allHeaders())['content-range'] ?? null })
    }
  })
  await page.goto(`${session.origin}/storage.html`)
  const result = await page.evaluate((args) => run(args), {
    url: edgeUrl, anonKey: env.EDGE_ANON_KEY, serviceKey: env.EDGE_SERVICE_KEY, userToken: env.EDGE_USER_TOKEN,
    bucket: env.EDGE_BUCKET, seconds: 300,
  })
  const shot = await session.screenshot(page, 'storage')
  await session.close()
  done({ ...result, media, preflights: session.preflights(), corsErrors: session.corsErrors, shots: [shot] })
} catch (error) {
  await fail(error, session)
}
