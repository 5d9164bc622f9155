//! The multi-tenant example: `cargo run -p multi-tenant` (listens on `SCOPEGATE_ADDR`, default
//! `127.0.0.1:3003`), with two embedded development realms whose tokens it prints.

#![forbid(unsafe_code)]

use std::time::Duration;

use multi_tenant::{app, dev_tenants, dev_verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3003".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let tenants = dev_tenants();
    println!("multi-tenant on {base}");
    // A globex token signed with acme's key: each realm's keys verify only its own tokens.
    let forged = tenants[1].token_with_key(tenants[0].key()).scopes(["reports.read"]).sign();
    println!("# globex's claims signed with acme's key\nexport FORGED={forged}");
    for (tenant, variable) in tenants.iter().zip(["ACME", "GLOBEX"]) {
        let token = tenant
            .token()
            .scopes(["reports.read"])
            .expires_in(Duration::from_secs(8 * 3600))
            .sign();
        println!(
            "# {} (audience {})\nexport {variable}={token}",
            tenant.issuer(),
            tenant.audience()
        );
    }
    let commands = [
        (
            r#"{"reports":[],"tenant":"acme"} 200"#,
            format!(
                "curl -s -w ' %{{http_code}}\\n' -H \"Authorization: Bearer $ACME\" {base}/reports"
            ),
        ),
        (
            r#"{"reports":[],"tenant":"globex"} 200"#,
            format!(
                "curl -s -w ' %{{http_code}}\\n' -H \"Authorization: Bearer $GLOBEX\" {base}/reports"
            ),
        ),
        (
            "401",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: Bearer $FORGED\" {base}/reports"
            ),
        ),
        ("401", format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/whoami")),
    ];
    println!("# try it (expected answer on the right):");
    for (expected, command) in commands {
        println!("{command}   # {expected}");
    }
    println!("listening on {base}");
    axum::serve(listener, app(dev_verifier(&tenants))).await?;
    Ok(())
}
