//! The `scopegate` binary, run as a user runs it: against the test kit's identity provider over
//! real HTTP, and against a small API serving its metadata. Exact lines and exit codes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::Json;
use axum::routing::get;
use scopegate_testkit::IssuerServer;
use serde_json::{Value, json};

/// Runs `scopegate` with `args` (and `stdin`), off the async runtime: (exit code, stdout).
async fn scopegate(args: Vec<String>, stdin: Option<String>) -> (i32, String) {
    let (code, stdout, _) = scopegate_with_stderr(args, stdin).await;
    (code, stdout)
}

/// Runs `scopegate`: (exit code, stdout, stderr).
async fn scopegate_with_stderr(args: Vec<String>, stdin: Option<String>) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scopegate"))
            .args(&args)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().unwrap();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
    })
    .await
    .unwrap()
}

fn explain(server: &IssuerServer, token: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["explain", token, "--issuer", &server.base_url(), "--audience"]
        .iter()
        .map(|arg| (*arg).to_owned())
        .collect();
    args.push(server.issuer().audience().to_owned());
    args.extend(extra.iter().map(|arg| (*arg).to_owned()));
    args
}

/// The lines of `output` that report `name` (its mark and what was found).
fn line<'o>(output: &'o str, name: &str) -> &'o str {
    output
        .lines()
        .find(|line| line.get(8..).is_some_and(|rest| rest.starts_with(&format!("{name} "))))
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{output}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_good_token_passes_every_check() {
    let server = IssuerServer::start().await;
    let token = server.issuer().token().subject("ada").scopes(["orders.read"]).sign();
    let (code, output) =
        scopegate(explain(&server, &token, &["--scope", "orders.read"]), None).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(line(&output, "iss"), format!("  ok    iss            {}", server.base_url()));
    assert_eq!(
        line(&output, "aud"),
        format!("  ok    aud            {}", server.issuer().audience())
    );
    assert_eq!(
        line(&output, "scopes"),
        "  ok    scopes         granted [orders.read], required [orders.read]"
    );
    assert_eq!(line(&output, "cnf"), "        cnf            none: a bearer token");
    assert!(
        line(&output, "keys")
            .starts_with(&format!("  ok    keys           1 from {}/jwks (", server.base_url())),
        "{output}"
    );
    assert_eq!(
        line(&output, "verified"),
        "  ok    verified       signature, issuer, audience and times hold; subject ada"
    );
    assert_eq!(line(&output, "status"), "  ok    status         200 OK");
    assert!(!output.contains("challenge"), "{output}");
    assert!(line(&output, "exp").starts_with("  ok    exp            "), "{output}");
    // Five minutes from the test kit's clock, read a moment before the command's.
    let exp = line(&output, "exp");
    assert!(exp.ends_with("(in 5m)") || exp.contains(" UTC (in 4m "), "{output}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_refusal_is_explained_with_the_layers_answer() {
    let server = IssuerServer::start().await;
    let issuer = server.issuer();
    // Expired ten minutes ago.
    let expired = issuer
        .token()
        .expires_in(Duration::ZERO)
        .claim("exp", scopegate_core::NumericDate::now().as_secs() - 600)
        .sign();
    let (code, output) = scopegate(explain(&server, &expired, &[]), None).await;
    assert_eq!(code, 1, "{output}");
    assert!(line(&output, "exp").starts_with("  FAIL  exp            expired: "), "{output}");
    let exp = line(&output, "exp");
    assert!(exp.contains(" UTC (10m") && exp.ends_with(" ago)"), "{output}");
    assert_eq!(line(&output, "refused"), "  FAIL  refused        the token has expired (Expired)");
    assert_eq!(line(&output, "status"), "  FAIL  status         401 Unauthorized");
    assert_eq!(
        line(&output, "challenge"),
        r#"        challenge      WWW-Authenticate: Bearer error="invalid_token", error_description="the token has expired""#
    );
    // Another audience.
    let elsewhere = issuer.token().audience("billing-api").sign();
    let (code, output) = scopegate(explain(&server, &elsewhere, &[]), None).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        line(&output, "aud"),
        format!("  FAIL  aud            billing-api; the API requires {}", issuer.audience())
    );
    // A scope the route needs and the token lacks: 403.
    let reader = issuer.token().scopes(["orders.read"]).sign();
    let (code, output) =
        scopegate(explain(&server, &reader, &["--scope", "orders.write"]), None).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        line(&output, "scopes"),
        "  FAIL  scopes         granted [orders.read], required [orders.write]"
    );
    assert_eq!(line(&output, "verified").get(..8), Some("  ok    "));
    assert_eq!(line(&output, "status"), "  FAIL  status         403 Forbidden");
    assert_eq!(
        line(&output, "challenge"),
        r#"        challenge      WWW-Authenticate: Bearer error="insufficient_scope", scope="orders.write""#
    );
    // Signed by another key under the published key's `kid`.
    let forged = issuer.token().sign_with(&scopegate_testkit::TestKey::rsa());
    let (code, output) = scopegate(explain(&server, &forged, &[]), None).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        line(&output, "refused"),
        "  FAIL  refused        the token's signature is invalid (InvalidSignature)"
    );
    assert_eq!(line(&output, "status"), "  FAIL  status         401 Unauthorized");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_and_an_unreachable_issuer_have_their_exit_codes() {
    let server = IssuerServer::start().await;
    let token = server.issuer().token().sign();
    let base = server.base_url();
    drop(server);
    let args =
        ["explain", &token, "--issuer", &base, "--audience", "x"].map(str::to_owned).to_vec();
    let (code, output) = scopegate(args, None).await;
    assert_eq!(code, 3, "{output}");
    assert_eq!(
        line(&output, "status"),
        "  FAIL  status         503 Service Unavailable: the keys cannot be had"
    );
    let decode = ["decode", "not-a-token"].map(str::to_owned).to_vec();
    let (code, output, errors) = scopegate_with_stderr(decode, None).await;
    assert_eq!(
        (code, output.as_str(), errors.trim()),
        (
            2,
            "",
            "error: not a JWT: 1 part(s) separated by `.`, a signed JWT has 3 (an opaque token can only be introspected)"
        )
    );
    // A configuration the verifier refuses is the command line's fault, not the network's.
    let args = ["explain", &token, "--issuer", "http://id.example.com", "--audience", "x"];
    let (code, _, errors) = scopegate_with_stderr(args.map(str::to_owned).to_vec(), None).await;
    assert_eq!(code, 2, "{errors}");
    assert!(errors.starts_with("error: --issuer, --audience or --jwks-uri: "), "{errors}");
    let (code, _) = scopegate(["explain", "x"].map(str::to_owned).to_vec(), None).await;
    assert_eq!(code, 2, "clap's usage error");
}

#[tokio::test(flavor = "multi_thread")]
async fn decode_reads_stdin_and_says_it_verified_nothing() {
    let issuer = scopegate_testkit::TestIssuer::new();
    let token = issuer.token().subject("ada").claim("exp", 4_102_444_800_u64).sign();
    let (code, output) =
        scopegate(["decode", "-"].map(str::to_owned).to_vec(), Some(format!("Bearer {token}\n")))
            .await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        output.lines().next().unwrap(),
        "  warn  NOT VERIFIED   anyone can write a token that decodes; `scopegate explain` checks it"
    );
    assert!(output.contains("\"sub\": \"ada\""), "{output}");
    assert!(
        line(&output, "exp").starts_with("        exp            2100-01-01 00:00:00 UTC (in "),
        "{output}"
    );
}

/// An API serving `resource_document` as its RFC 9728 metadata, and `server_document` as its
/// authorization server's RFC 8414 metadata, on one loopback port; returns its base URL.
async fn api(
    resource_document: impl Fn(&str) -> Value,
    server_document: impl Fn(&str) -> Value,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let resource = resource_document(&base);
    let server = server_document(&base);
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-protected-resource/mcp",
            get(move || async move { Json(resource) }),
        )
        .route(
            "/.well-known/oauth-authorization-server/id",
            get(move || async move { Json(server) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_an_mcp_client_can_log_in_with() {
    let base = api(
        |base| json!({"resource": format!("{base}/mcp"), "authorization_servers": [format!("{base}/id")], "scopes_supported": ["tools.call"]}),
        |base| json!({
            "issuer": format!("{base}/id"),
            "authorization_endpoint": format!("{base}/id/authorize"),
            "token_endpoint": format!("{base}/id/token"),
            "code_challenge_methods_supported": ["S256"],
            "client_id_metadata_document_supported": true,
        }),
    )
    .await;
    let (code, output) =
        scopegate(["metadata".to_owned(), format!("{base}/mcp")].to_vec(), None).await;
    assert_eq!(code, 0, "{output}");
    assert_eq!(
        line(&output, "document"),
        format!("  ok    document       {base}/.well-known/oauth-protected-resource/mcp")
    );
    assert_eq!(
        line(&output, "metadata"),
        format!("  ok    metadata       {base}/.well-known/oauth-authorization-server/id")
    );
    assert_eq!(line(&output, "PKCE"), "  ok    PKCE           S256");
    assert_eq!(
        line(&output, "registration"),
        "  ok    registration   client ID metadata documents: no setup needed"
    );
    assert_eq!(
        line(&output, "result"),
        "  ok    result         an MCP client can find how to log in to this API"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn metadata_problems_are_named() {
    let base = api(
        |base| json!({"resource": "https://elsewhere.example.com/mcp", "authorization_servers": [format!("{base}/id")]}),
        |_| json!({"issuer": "https://impostor.example.com", "token_endpoint": "https://impostor.example.com/token"}),
    )
    .await;
    let (code, output) =
        scopegate(["metadata".to_owned(), format!("{base}/mcp")].to_vec(), None).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        line(&output, "resource"),
        format!(
            "  FAIL  resource       https://elsewhere.example.com/mcp, but the document was fetched for {base}/mcp (RFC 9728 section 3.3)"
        )
    );
    assert_eq!(
        line(&output, "scopes"),
        "  warn  scopes         not listed: clients cannot tell what to ask for"
    );
    assert_eq!(
        line(&output, "issuer"),
        format!(
            "  FAIL  issuer         https://impostor.example.com, not {base}/id: clients must refuse it (RFC 8414 section 3.3)"
        )
    );
    assert_eq!(line(&output, "authorization"), "  FAIL  authorization  missing");
    assert_eq!(
        line(&output, "PKCE"),
        "  FAIL  PKCE           S256 not in code_challenge_methods_supported: MCP clients will not log in"
    );
    assert_eq!(line(&output, "result"), "  FAIL  result         4 problem(s) above");
    let (code, output) =
        scopegate(["metadata".to_owned(), format!("{base}/nothing-here")].to_vec(), None).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        line(&output, "document"),
        format!(
            "  FAIL  document       none found: tried {base}/.well-known/oauth-protected-resource/nothing-here (answered 404 Not Found), {base}/.well-known/oauth-protected-resource (answered 404 Not Found)"
        )
    );
}

/// An API that names its metadata in its `401` (as scopegate's layer does) and serves it at
/// the root, describing its origin: found and accepted the way MCP clients do.
#[tokio::test(flavor = "multi_thread")]
async fn metadata_found_through_the_apis_challenge() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let challenge =
        format!(r#"Bearer resource_metadata="{base}/.well-known/oauth-protected-resource""#);
    let resource = json!({
        "resource": base,
        "authorization_servers": [format!("{base}/id")],
        "scopes_supported": ["tools.call"],
    });
    let server = json!({
        "issuer": format!("{base}/id"),
        "authorization_endpoint": format!("{base}/id/authorize"),
        "token_endpoint": format!("{base}/id/token"),
        "code_challenge_methods_supported": ["S256"],
        "registration_endpoint": format!("{base}/id/register"),
    });
    let unauthorized = move || async move {
        (http::StatusCode::UNAUTHORIZED, [(http::header::WWW_AUTHENTICATE, challenge)])
    };
    let app = axum::Router::new()
        .route("/mcp", get(unauthorized))
        .route("/.well-known/oauth-protected-resource", get(move || async move { Json(resource) }))
        .route(
            "/.well-known/oauth-authorization-server/id",
            get(move || async move { Json(server) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let (code, output) =
        scopegate(["metadata".to_owned(), format!("{base}/mcp")].to_vec(), None).await;
    assert_eq!(code, 0, "{output}");
    let well_known = format!("{base}/.well-known/oauth-protected-resource");
    assert_eq!(line(&output, "document"), format!("  ok    document       {well_known}"));
    assert_eq!(line(&output, "resource"), format!("  ok    resource       {base}"));
    assert_eq!(
        line(&output, "registration"),
        format!("  ok    registration   dynamic, at {base}/id/register")
    );
}
