//! The multi-tenant example: `cargo run -p multi-tenant` (listens on `SCOPEGATE_ADDR`, default
//! `127.0.0.1:3003`), with a development identity provider on another local port hosting the
//! realms `acme` and `globex`, whose tokens it prints.

#![forbid(unsafe_code)]

use std::time::Duration;

use multi_tenant::{AUDIENCE, app, verifier};
use scopegate_testkit::TenantIssuerServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3003".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let port = listener.local_addr()?.port();
    let identity = TenantIssuerServer::start().await;
    let (acme, globex) = (identity.tenant("acme"), identity.tenant("globex"));
    println!(
        "multi-tenant on http://{{acme,globex}}.localhost:{port}, realms at {}/realms/",
        identity.base_url()
    );
    let sign = |issuer: &scopegate_testkit::TestIssuer| {
        issuer
            .token()
            .audience(AUDIENCE)
            .subject("alice")
            .scopes(["reports.read"])
            .expires_in(Duration::from_secs(8 * 3600))
            .sign()
    };
    println!("# a token of acme's realm\nexport ACME={}", sign(&acme));
    println!("# a token of globex's realm\nexport GLOBEX={}", sign(&globex));
    // Globex's claims signed with acme's key: each realm's keys verify only its own tokens.
    let forged = globex.token_with_key(acme.key()).audience(AUDIENCE).scopes(["reports.read"]);
    println!("# globex's claims signed with acme's key\nexport FORGED={}", forged.sign());
    let url = |tenant: &str, path: &str| format!("http://{tenant}.localhost:{port}{path}");
    let status = "curl -s -o /dev/null -w '%{http_code}\\n'";
    let body = "curl -s -w ' %{http_code}\\n'";
    let challenge = "curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}\\n'";
    let not_here = r#"401 Bearer error="invalid_token", error_description="the token's issuer is not trusted here""#;
    let no_tenant = r#"401 Bearer error="invalid_token", error_description="the request names no tenant this API serves""#;
    let commands = [
        (
            r#"{"reports":[],"tenant":"acme"} 200"#.to_owned(),
            format!("{body} -H \"Authorization: Bearer $ACME\" {}", url("acme", "/reports")),
        ),
        (
            r#"{"reports":[],"tenant":"globex"} 200"#.to_owned(),
            format!("{body} -H \"Authorization: Bearer $GLOBEX\" {}", url("globex", "/reports")),
        ),
        (
            not_here.to_owned(),
            format!("{challenge} -H \"Authorization: Bearer $ACME\" {}", url("globex", "/reports")),
        ),
        (
            not_here.to_owned(),
            format!("{challenge} -H \"Authorization: Bearer $GLOBEX\" {}", url("acme", "/whoami")),
        ),
        (
            "401".to_owned(),
            format!("{status} -H \"Authorization: Bearer $FORGED\" {}", url("globex", "/reports")),
        ),
        (
            no_tenant.to_owned(),
            format!(
                "{challenge} -H \"Authorization: Bearer $ACME\" http://127.0.0.1:{port}/reports"
            ),
        ),
        ("401".to_owned(), format!("{status} {}", url("acme", "/whoami"))),
    ];
    println!("# try it (expected answer on the right):");
    for (expected, command) in commands {
        println!("{command}   # {expected}");
    }
    let app = app(verifier(&identity.base_url()).await?, "localhost");
    println!("listening on http://127.0.0.1:{port}");
    axum::serve(listener, app).await?;
    Ok(())
}
