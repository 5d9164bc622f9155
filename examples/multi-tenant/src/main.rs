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
    println!("curl -i -H \"Authorization: Bearer $ACME\" {base}/reports     # 200, tenant acme");
    println!("curl -i -H \"Authorization: Bearer $GLOBEX\" {base}/whoami    # 200, realm globex");
    axum::serve(listener, app(dev_verifier(&tenants))).await?;
    Ok(())
}
