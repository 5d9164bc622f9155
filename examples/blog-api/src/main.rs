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
    let code = "curl -s -o /dev/null -w '%{http_code}\\n'";
    let json = "-H 'content-type: application/json'";
    let commands = [
        ("200", format!("{code} -H \"Authorization: Bearer $READER\" {base}/posts")),
        (
            "403",
            format!(
                "{code} -X POST -H \"Authorization: Bearer $READER\" {json} -d '{{\"title\":\"Hi\"}}' {base}/posts"
            ),
        ),
        (
            "201",
            format!(
                "{code} -X POST -H \"Authorization: Bearer $EDITOR\" {json} -d '{{\"title\":\"Hello\"}}' {base}/posts"
            ),
        ),
        ("204", format!("{code} -X DELETE -H \"Authorization: Bearer $EDITOR\" {base}/posts/1")),
        ("403", format!("{code} -H \"Authorization: Bearer $EDITOR\" {base}/admin/users")),
        ("200", format!("{code} -H \"Authorization: Bearer $ADMIN\" {base}/admin/users")),
        ("401", format!("{code} {base}/posts")),
        ("200", format!("{code} {base}/openapi.json")),
    ];
    println!("# try it (expected answer on the right):");
    for (status, command) in commands {
        println!("{command}   # {status}");
    }
    println!("listening on {base}");
    axum::serve(listener, app(issuer.verifier())).await?;
    Ok(())
}
