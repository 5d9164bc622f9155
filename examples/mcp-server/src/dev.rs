//! The embedded development issuer, its tokens, and the banner of ready-to-paste commands.
//! When the server runs (`main.rs`), the issuer is a development authorization server that
//! MCP clients can log in to; tests use the issuer alone.

use std::time::Duration;

use scopegate::remote::TokenExchange;
use scopegate::{ProtectedResource, Verifier, VerifierBuilder};
use scopegate_testkit::{DEV_SUBJECT, DevAuthorizationServer, TestIssuer};

use crate::Downstream;
use crate::shipping::{SHIPPING_AUDIENCE, Shipping};

/// The issuer name of development tokens when no authorization server runs (tests).
pub const ISSUER: &str = "https://dev-issuer.scopegate.local";
/// How long the printed tokens stay valid.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// A development identity provider for the MCP server at `resource`.
#[derive(Debug)]
pub struct DevIssuer {
    issuer: TestIssuer,
    resource: String,
}

impl DevIssuer {
    /// A fresh RSA key, issuing tokens for the resource `resource` (the MCP endpoint's URL).
    pub fn new(resource: &str) -> Self {
        Self::with_issuer(TestIssuer::named(ISSUER), resource)
    }

    /// Tokens of `issuer` (the development authorization server's) for `resource`.
    pub fn with_issuer(issuer: TestIssuer, resource: &str) -> Self {
        Self { issuer: issuer.with_audience(resource), resource: resource.to_owned() }
    }

    /// The issuer identifier.
    pub fn name(&self) -> &str {
        self.issuer.issuer()
    }

    /// The protected resource: the MCP endpoint, with the tools' scopes.
    ///
    /// # Errors
    ///
    /// When the resource URL is not an https (or loopback http) URL.
    pub fn protected_resource(&self) -> Result<ProtectedResource, scopegate::Error> {
        ProtectedResource::new(&self.resource)?
            .scopes_supported(crate::scopes()?)
            .map(|resource| resource.resource_name("scopegate orders MCP server"))
    }

    /// A verifier that trusts this issuer, for the protected resource.
    ///
    /// # Errors
    ///
    /// As [`protected_resource`](Self::protected_resource).
    pub fn verifier(&self) -> Result<Verifier, scopegate::Error> {
        self.verifier_builder()?.build_static()
    }

    /// The builder of [`verifier`](Self::verifier), to change its settings.
    ///
    /// # Errors
    ///
    /// As [`protected_resource`](Self::protected_resource).
    pub fn verifier_builder(&self) -> Result<VerifierBuilder, scopegate::Error> {
        Ok(Verifier::builder()
            .issuer(self.issuer.issuer())
            .keys(self.issuer.key_set())
            .protected_resource(self.protected_resource()?))
    }

    /// A token for `subject` with `scopes` and `roles`, valid for [`TOKEN_LIFETIME`].
    pub fn token(&self, subject: &str, scopes: &[&str], roles: &[&str]) -> String {
        self.issuer
            .token()
            .subject(subject)
            .scopes(scopes.iter().copied())
            .roles(roles.iter().copied())
            .expires_in(TOKEN_LIFETIME)
            .sign()
    }
}

/// The server as it runs in development, trusting the development authorization `server`: the
/// issuer of its tokens, its verifier (which exchanges callers' tokens at `server` for the
/// shipping API's), and the shipping API, at `base` too.
///
/// # Errors
///
/// As [`DevIssuer::protected_resource`].
pub fn with_login(
    server: &DevAuthorizationServer,
    base: &str,
) -> Result<(DevIssuer, Verifier, Downstream), scopegate::Error> {
    let issuer = DevIssuer::with_issuer(server.issuer().clone(), &format!("{base}/mcp"));
    let (client_id, secret) = server.exchange_client();
    let exchange =
        TokenExchange::new(client_id, secret).endpoint(format!("{}/token", server.url()));
    let verifier = issuer.verifier_builder()?.token_exchange(exchange).build_static()?;
    let api = Verifier::builder()
        .issuer(server.url())
        .audience(SHIPPING_AUDIENCE)
        .keys(server.issuer().key_set())
        .build_static()?;
    let downstream = Downstream { shipping: Shipping::new(verifier.clone(), base), api };
    Ok((issuer, verifier, downstream))
}

/// One JSON-RPC request in the 2026-07-28 form: the standard headers (`Mcp-Name` when the
/// method names something) and the body, whose `params` are `params` (JSON members) plus
/// `_meta`.
fn rpc(method: &str, name: Option<&str>, params: &str) -> String {
    let name = name.map(|name| format!(" -H 'mcp-name: {name}'")).unwrap_or_default();
    format!(
        "-H 'mcp-method: {method}'{name} -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"{method}\",\"params\":{{{params},\"_meta\":{{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{{}}}}}}}}'"
    )
}

/// One `tools/call`.
fn call(tool: &str, arguments: &str) -> String {
    rpc("tools/call", Some(tool), &format!("\"name\":\"{tool}\",\"arguments\":{arguments}"))
}

/// The banner printed at start: tokens as shell exports, then curl commands with the status
/// each returns (and, for two of them, the challenge).
pub fn banner(issuer: &DevIssuer, base: &str) -> String {
    let mcp = format!("{base}/mcp");
    let tokens = [
        ("READER", "orders.read", issuer.token("alice", &["orders.read"], &[])),
        (
            "WRITER",
            "orders.read orders.write",
            issuer.token("bob", &["orders.read", "orders.write"], &[]),
        ),
        (
            "OPERATOR",
            "orders.read orders.approve, role operator",
            issuer.token("carol", &["orders.read", "orders.approve"], &["operator"]),
        ),
    ];
    let mut out = format!(
        "mcp-server on {mcp} with the embedded development issuer {}\n\
         (set SCOPEGATE_ISSUER and SCOPEGATE_AUDIENCE to trust a real one)\n\n\
         # tokens for the resource {mcp}, valid for {} hours:\n",
        issuer.name(),
        TOKEN_LIFETIME.as_secs() / 3600
    );
    for (name, description, token) in &tokens {
        out.push_str(&format!("# {description}\nexport {name}={token}\n"));
    }
    let post = "curl -s -o /dev/null -w '%{http_code}\\n' -X POST -H 'content-type: application/json' \
                -H 'accept: application/json, text/event-stream' -H 'mcp-protocol-version: 2026-07-28'";
    let challenge = "curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}\\n' -X POST \
                     -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
                     -H 'mcp-protocol-version: 2026-07-28'";
    let metadata = format!("{base}/.well-known/oauth-protected-resource/mcp");
    let auth = |name: &str| format!("-H \"Authorization: Bearer ${name}\"");
    let list = call("list_orders", "{}");
    let create = call("create_order", r#"{"item":"book"}"#);
    let approve = call("approve_order", r#"{"id":1}"#);
    let read = |uri: &str| rpc("resources/read", Some(uri), &format!("\"uri\":\"{uri}\""));
    let subscribe = rpc("resources/subscribe", None, "\"uri\":\"orders://audit-log\"");
    let complete = rpc(
        "completion/complete",
        None,
        r#""ref":{"type":"ref/prompt","name":"refund_customer"},"argument":{"name":"customer","value":"b"}"#,
    );
    let export = rpc("orders/export", None, r#""format":"csv""#);
    let small_refund = call("refund", r#"{"id":1,"amount":50}"#);
    let large_refund = call("refund", r#"{"id":1,"amount":150}"#);
    let ship = call("ship_order", r#"{"id":1}"#);
    let needs = |scope: &str| {
        format!(
            r#"403 Bearer error="insufficient_scope", scope="{scope}", resource_metadata="{metadata}""#
        )
    };
    let commands = [
        (format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {metadata}"), "200".to_owned()),
        (
            format!("{challenge} {list} {mcp}"),
            format!(
                r#"401 Bearer realm="orders-mcp", scope="orders.read", resource_metadata="{metadata}""#
            ),
        ),
        (format!("{post} {} {list} {mcp}", auth("READER")), "200".to_owned()),
        (
            format!("{challenge} {} {create} {mcp}", auth("READER")),
            format!(
                r#"403 Bearer error="insufficient_scope", scope="orders.write", resource_metadata="{metadata}""#
            ),
        ),
        (format!("{post} {} {create} {mcp}", auth("WRITER")), "200".to_owned()),
        (format!("{post} {} {approve} {mcp}", auth("WRITER")), "403".to_owned()),
        (format!("{post} {} {approve} {mcp}", auth("OPERATOR")), "200".to_owned()),
        (
            format!("{post} {} {} {mcp}", auth("READER"), read("orders://orders/1")),
            "200".to_owned(),
        ),
        (
            format!("{challenge} {} {} {mcp}", auth("READER"), read("orders://audit-log")),
            needs("orders.approve"),
        ),
        (
            format!("{post} {} {} {mcp}", auth("OPERATOR"), read("orders://audit-log")),
            "200".to_owned(),
        ),
        (format!("{challenge} {} {subscribe} {mcp}", auth("READER")), needs("orders.approve")),
        (format!("{challenge} {} {complete} {mcp}", auth("READER")), needs("orders.approve")),
        (format!("{post} {} {complete} {mcp}", auth("OPERATOR")), "200".to_owned()),
        (format!("{post} {} {export} {mcp}", auth("OPERATOR")), "403".to_owned()),
        (format!("{post} {} {small_refund} {mcp}", auth("WRITER")), "200".to_owned()),
        (format!("{challenge} {} {large_refund} {mcp}", auth("WRITER")), needs("orders.approve")),
        (
            format!("{challenge} {} {ship} {mcp}", auth("WRITER")),
            needs("orders.write shipping.write"),
        ),
        (
            format!(
                "{post} {} -H 'mcp-method: tools/call' -H 'mcp-name: list_orders' -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"approve_order\",\"arguments\":{{\"id\":1}}}}}}' {mcp}",
                auth("READER")
            ),
            "400".to_owned(),
        ),
        (
            format!(
                "{post} {} -d '[{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}]' {mcp}",
                auth("READER")
            ),
            "400".to_owned(),
        ),
    ];
    out.push_str("\n# the metadata document:\n");
    out.push_str(&format!("#   curl -s {metadata}\n"));
    out.push_str(
        "# try it (expected answer on the right; the 401 and the 403 show their challenge, and\n\
         # `curl -i` instead of `-s -o /dev/null -w ...` shows every header):\n",
    );
    for (command, expected) in commands {
        out.push_str(&format!("{command}   # {expected}\n"));
    }
    out
}

/// The lines on logging in from a real MCP client, when the development authorization server
/// at `authorization_server` runs.
pub fn login_banner(authorization_server: &str, base: &str) -> String {
    format!(
        "\n# log in from an MCP client: the development authorization server {authorization_server}\n\
         # approves every request as `{DEV_SUBJECT}` (NEVER use it in production):\n\
         #   MCP Inspector: npx @modelcontextprotocol/inspector, transport Streamable HTTP, URL {base}/mcp\n\
         #   TypeScript SDK: npm ci --prefix tests/mcp-client-ts && node tests/mcp-client-ts/login.mjs {base}/mcp\n"
    )
}
