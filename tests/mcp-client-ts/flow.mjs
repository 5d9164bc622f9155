// The login flow of an MCP host against scopegate's example MCP server, shared by the Node.js
// run (login.mjs) and the browser run (browser/page.mjs): 401 -> RFC 9728 metadata -> RFC 8414
// metadata -> dynamic registration -> authorization with PKCE -> token bound to the server by
// `resource` -> tool call -> 403 insufficient_scope -> re-authorization with more scopes ->
// tool call.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

/// What the SDK asks of a host: where tokens, the client and the PKCE verifier live, and how to
/// send the user to the authorization server. `follow(url)` goes there and returns the URL the
/// authorization server sent the user back to (the development server approves at once).
export class Host {
  constructor(redirectUrl, follow) {
    this.redirect = redirectUrl;
    this.follow = follow;
    this.authorizations = [];
    this.sdkScopes = [];
    this.granted = new Set();
  }
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata() {
    return {
      client_name: 'scopegate login check (MCP TypeScript SDK)',
      redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(client) {
    this.client = client;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens) {
    this.saved = tokens;
    for (const scope of (tokens.scope ?? '').split(' ').filter(Boolean)) this.granted.add(scope);
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  async redirectToAuthorization(url) {
    // SEP-2350: a step-up keeps the scopes granted before (SDK 1.32 asks for the challenge's
    // scopes alone, and would lose them).
    this.sdkScopes.push(url.searchParams.get('scope'));
    const asked = new Set((url.searchParams.get('scope') ?? '').split(' ').filter(Boolean));
    for (const scope of this.granted) asked.add(scope);
    url.searchParams.set('scope', [...asked].sort().join(' '));
    this.authorizations.push(url);
    const back = await this.follow(url);
    if (back.searchParams.get('error')) throw new Error(`authorization: ${back.searchParams.get('error_description')}`);
    if (back.searchParams.get('iss') !== url.origin) throw new Error(`authorization: iss ${back.searchParams.get('iss')}`);
    this.code = back.searchParams.get('code');
  }
}

/// Runs the flow against the MCP server at `server` (a URL); `check(what, condition, why)`
/// records each step and throws at the first that fails.
export async function login(server, host, check) {
  const transport = () => new StreamableHTTPClientTransport(server, { authProvider: host });
  const refusedForLogin = async (what, attempt) => {
    let error;
    try {
      await attempt();
    } catch (caught) {
      error = caught;
    }
    check(what, error instanceof UnauthorizedError, error ? `${error}` : 'went through without a login');
  };

  // 1. No token: the SDK discovers, registers and sends the user to authorize.
  let client = new Client({ name: 'scopegate-login-check', version: '1.0.0' });
  let connection = transport();
  await refusedForLogin('first connection asks for a login', () => client.connect(connection));
  check('dynamic registration', host.client?.client_id, 'no client_id');
  const first = host.authorizations[0];
  check('authorization asks for the 401 scope only', host.sdkScopes[0] === 'orders.read' && first?.searchParams.get('scope') === 'orders.read',
    `scope ${first?.searchParams.get('scope')}`);
  check('authorization uses PKCE S256', first.searchParams.get('code_challenge_method') === 'S256', 'no S256');
  check('authorization names the MCP server as resource', first.searchParams.get('resource') === server.href,
    `resource ${first.searchParams.get('resource')}`);
  await connection.finishAuth(host.code);
  check('token for orders.read', host.saved?.scope === 'orders.read', `scope ${host.saved?.scope}`);

  // 2. Logged in: the list shows what this token may use; a read works.
  client = new Client({ name: 'scopegate-login-check', version: '1.0.0' });
  connection = transport();
  await client.connect(connection);
  const tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
  check('tools/list filtered to the token', JSON.stringify(tools) === '["export_orders","list_orders"]',
    JSON.stringify(tools));
  const listed = await client.callTool({ name: 'list_orders', arguments: {} });
  check('list_orders', !listed.isError && JSON.parse(listed.content[0].text).caller === 'dev-user',
    JSON.stringify(listed));

  // 3. A write: 403 insufficient_scope, the SDK steps up, the host adds what it had.
  await refusedForLogin('create_order asks for more scope',
    () => client.callTool({ name: 'create_order', arguments: { item: 'book' } }));
  check('the SDK steps up to the 403 scope', host.sdkScopes[1] === 'orders.write', `scope ${host.sdkScopes[1]}`);
  const second = host.authorizations[1];
  check('step-up asks for orders.read orders.write', second?.searchParams.get('scope') === 'orders.read orders.write',
    `scope ${second?.searchParams.get('scope')}`);
  await connection.finishAuth(host.code);
  const created = await client.callTool({ name: 'create_order', arguments: { item: 'book' } });
  check('create_order after the step-up', !created.isError && JSON.parse(created.content[0].text).order.item === 'book',
    JSON.stringify(created));
  const again = await client.callTool({ name: 'list_orders', arguments: {} });
  check('list_orders still allowed', !again.isError, JSON.stringify(again));
  await client.close();
}
