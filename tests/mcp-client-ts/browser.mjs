// The login flow once in a real browser: headless Chromium (Debian's) loads a page that runs
// the official SDK's client (bundled by esbuild) against scopegate's example MCP server, from an
// origin the server allows, then a page on an origin it must refuse.
//
//   node tests/mcp-client-ts/browser.mjs http://127.0.0.1:3004/mcp
//
// Prints each step as `ok <what>` and exits 1 at the first failure.

import http from 'node:http';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const server = process.argv[2] ?? 'http://127.0.0.1:3004/mcp';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

const bundle = (await build({
  entryPoints: [new URL('./browser/page.mjs', import.meta.url).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  write: false,
  logLevel: 'error',
})).outputFiles[0].contents;

const page = '<!doctype html><meta charset="utf-8"><title>scopegate login</title><script type="module" src="/bundle.js"></script>';

/// Serves the page, its script and the OAuth callback on `host` (a free port).
function serve(host) {
  const pages = http.createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    // The callback is fetched after a cross-origin redirect: it must be readable by the page.
    response.setHeader('access-control-allow-origin', '*');
    if (path === '/bundle.js') {
      response.setHeader('content-type', 'text/javascript');
      response.end(bundle);
    } else if (path === '/callback') {
      response.end('signed in');
    } else if (path === '/') {
      response.setHeader('content-type', 'text/html');
      response.end(page);
    } else {
      response.statusCode = 404;
      response.end();
    }
  });
  return new Promise((resolve) => pages.listen(0, host, () => resolve(pages)));
}

const allowed = await serve('127.0.0.1');
// Also loopback, but not an origin the example allows (it allows localhost, 127.0.0.1, [::1]).
const foreign = await serve('127.0.0.2');
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  for (const [pages, query] of [[allowed, ''], [foreign, '&allowed=0']]) {
    const tab = await browser.newPage();
    const origin = `http://${pages.address().address}:${pages.address().port}`;
    await tab.goto(`${origin}/?server=${encodeURIComponent(server)}${query}`);
    await tab.waitForFunction(() => window.outcome !== undefined, null, { timeout: 60_000 });
    const outcome = await tab.evaluate(() => window.outcome);
    for (const line of outcome.lines) console.log(`${line} (page on ${origin})`);
    failed ||= !outcome.ok;
    await tab.close();
  }
} catch (error) {
  console.log(`FAILED ${error.message ?? error}`);
  failed = true;
} finally {
  await browser.close();
  allowed.close();
  foreign.close();
}
process.exit(failed ? 1 : 0);
