// The login flow in a browser page (bundled by esbuild with the SDK's browser-compatible ESM):
// every request to the MCP server and to the authorization server is a cross-origin fetch, so
// CORS is exercised where it matters. The page's query names the MCP server (`?server=`) and
// whether this origin is one the server allows (`?allowed=0` for one it must refuse). The
// outcome is left in `window.outcome` for the driver (browser.mjs).

import { Host, login } from '../flow.mjs';

const lines = [];
const check = (what, condition, why) => {
  if (!condition) throw new Error(`${what}: ${why}`);
  lines.push(`ok ${what}`);
};

/// Goes to the authorization endpoint; the development server redirects at once to this page's
/// `/callback`, whose URL carries the code.
async function follow(url) {
  const answer = await fetch(url, { redirect: 'follow' });
  return new URL(answer.url);
}

async function run() {
  const query = new URLSearchParams(location.search);
  const server = new URL(query.get('server'));
  if (query.get('allowed') === '0') {
    // A foreign origin: the preflight of a call with a token, and even a plain GET of the
    // metadata, are refused; the page sees a network error, never an answer.
    for (const [what, attempt] of [
      ['tool call from a foreign origin', () => fetch(server, { method: 'POST', headers: { authorization: 'Bearer x', 'content-type': 'application/json' }, body: '{}' })],
      ['metadata from a foreign origin', () => fetch(new URL('/.well-known/oauth-protected-resource/mcp', server))],
    ]) {
      let refused = false;
      try {
        await attempt();
      } catch (error) {
        refused = error instanceof TypeError;
      }
      check(`${what} is refused`, refused, 'the page read an answer');
    }
    return;
  }
  await login(server, new Host(`${location.origin}/callback`, follow), check);
  lines.push('login flow complete');
}

run().then(
  () => { window.outcome = { ok: true, lines }; },
  (error) => { window.outcome = { ok: false, lines: [...lines, `FAILED ${error.message ?? error}`] }; },
);
