// The test pages' own origin: a tiny static server on another loopback port than the edge server, so every call
// the page makes is cross-origin and the browser enforces CORS for real. It serves the pages in ./pages and the
// browser builds of the npm clients: supabase-js's UMD bundle, tus-js-client's UMD bundle, and Uppy (@uppy/core +
// @uppy/tus ship only ES modules with bare imports, so esbuild bundles them once into one IIFE at start).
import http from 'node:http'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import * as esbuild from 'esbuild'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)

function packageFile(pkg, relative) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), relative)
}

async function uppyBundle() {
  const result = await esbuild.build({
    stdin: {
      contents: "import Uppy from '@uppy/core'; import Tus from '@uppy/tus'; window.Uppy = { Uppy, Tus }",
      resolveDir: here,
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}

/** Starts the page server on 127.0.0.1:port; resolves with { origin, close }. */
export async function startStaticServer(port) {
  const libs = {
    '/lib/supabase.js': fs.readFileSync(packageFile('@supabase/supabase-js', 'dist/umd/supabase.js'), 'utf8'),
    '/lib/tus.js': fs.readFileSync(packageFile('tus-js-client', 'dist/tus.min.js'), 'utf8'),
    '/lib/uppy.js': await uppyBundle(),
    '/lib/page-log.js': fs.readFileSync(path.join(here, 'pages', 'page-log.js'), 'utf8'),
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://page')
    let body
    let type = 'text/html; charset=utf-8'
    if (libs[url.pathname] !== undefined) {
      body = libs[url.pathname]
      type = 'text/javascript; charset=utf-8'
    } else if (/^\/[a-z-]+\.html$/.test(url.pathname) && fs.existsSync(path.join(here, 'pages', url.pathname))) {
      body = fs.readFileSync(path.join(here, 'pages', url.pathname))
    } else {
      res.writeHead(404).end('not found')
      return
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body)
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }),
  }
}
