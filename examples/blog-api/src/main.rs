//! The blog API example: `cargo run -p blog-api` (listens on `SCOPEGATE_ADDR`, default
//! `127.0.0.1:3001`), with an embedded development issuer whose tokens it prints.

#![forbid(unsafe_code)]

use blog_api::{app, dev_issuer, dev_token};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let issuer = dev_issuer();
    println!("blog-api on {base}, development issuer {}", issuer.issuer());
    for (variable, name, scopes) in [
        ("READER", "Rita", &["read:posts"][..]),
        ("EDITOR", "Eddie", &["read:posts", "write:posts", "delete:posts"][..]),
        ("ADMIN", "Ada", &["read:posts", "admin:users"][..]),
    ] {
        println!(
            "# {name}: {}\nexport {variable}={}",
            scopes.join(" "),
            dev_token(&issuer, name, scopes)
        );
    }
    println!(
        "curl -i -X POST -H \"Authorization: Bearer $EDITOR\" -H 'content-type: application/json' -d '{{\"title\":\"Hello\"}}' {base}/posts"
    );
    println!("curl -i -H \"Authorization: Bearer $READER\" {base}/posts");
    axum::serve(listener, app(issuer.verifier())).await?;
    Ok(())
}
