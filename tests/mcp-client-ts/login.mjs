// The official MCP TypeScript SDK's client logs in to scopegate's example MCP server with no
// setup, the way an MCP host would (the steps are in flow.mjs).
//
//   cargo run -p mcp-server &                 # with its development authorization server
//   npm ci --prefix tests/mcp-client-ts
//   node tests/mcp-client-ts/login.mjs http://127.0.0.1:3004/mcp
//
// Each step prints `ok <what>`; the first that fails prints `FAILED <what>: <why>` and the
// script exits 1. The "browser" is this script: it follows the authorization redirect itself
// and hands the code back to the SDK.

import { Host, login } from './flow.mjs';

const server = new URL(process.argv[2] ?? 'http://127.0.0.1:3004/mcp');

/// Goes to the authorization endpoint and reads where it sends the user back.
async function follow(url) {
  const answer = await fetch(url, { redirect: 'manual' });
  if (answer.status !== 302) throw new Error(`authorization: status ${answer.status}: ${await answer.text()}`);
  return new URL(answer.headers.get('location'));
}

function check(what, condition, why) {
  if (!condition) throw new Error(`${what}: ${why}`);
  console.log(`ok ${what}`);
}

try {
  await login(server, new Host('http://127.0.0.1:9/callback', follow), check);
  console.log('login flow complete');
} catch (error) {
  console.log(`FAILED ${error.message ?? error}`);
  process.exit(1);
}
