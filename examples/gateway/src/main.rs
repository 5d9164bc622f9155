//! The gateway example: `cargo run -p gateway` (listens on `SCOPEGATE_ADDR`, default
//! `127.0.0.1:3002`), with an embedded development issuer whose tokens it prints.

#![forbid(unsafe_code)]

use std::time::Duration;

use gateway::{app, dev_issuer, dev_verifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3002".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let issuer = dev_issuer();
    let token = |scopes: &[&str]| {
        issuer
            .token()
            .scopes(scopes.iter().copied())
            .expires_in(Duration::from_secs(8 * 3600))
            .sign()
    };
    println!("gateway on {base}, development issuer {}", issuer.issuer());
    println!("# order (grants every order:* scope)\nexport FULL={}", token(&["order"]));
    println!("# order:item only\nexport ITEMS={}", token(&["order:item"]));
    println!("# expired\nexport EXPIRED={}", issuer.token().scopes(["order"]).expired().sign());
    println!("curl -i -H \"Authorization: Bearer $ITEMS\" {base}/orders/7/items             # 200");
    println!("curl -i -H \"Authorization: Bearer $ITEMS\" {base}/orders/7/shipping/status   # 403");
    println!("curl -i -H \"Authorization: Bearer $FULL\" {base}/orders/7/shipping/status    # 200");
    println!("curl -i -H \"Authorization: Bearer $EXPIRED\" {base}/orders/7                 # 401");
    axum::serve(listener, app(dev_verifier(&issuer))).await?;
    Ok(())
}
