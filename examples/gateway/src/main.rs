//! The gateway example: `cargo run -p gateway` starts an embedded identity provider, the orders
//! and shipping services on free loopback ports, and the gateway on `SCOPEGATE_ADDR` (default
//! `127.0.0.1:3002`), then prints tokens and curl commands with the answers they get.

#![forbid(unsafe_code)]

use gateway::Deployment;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let address = std::env::var("SCOPEGATE_ADDR").unwrap_or_else(|_| "127.0.0.1:3002".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let deployment = Deployment::start().await?;
    println!("{}", banner(&deployment, &base));
    println!("listening on {base}");
    axum::serve(listener, deployment.gateway.clone()).await?;
    Ok(())
}

fn banner(deployment: &Deployment, base: &str) -> String {
    let shipping = &deployment.shipping;
    let orders = &deployment.orders;
    let mut out = format!(
        "gateway on {base}; orders on {orders}; shipping on {shipping}; identity provider {}\n\n",
        deployment.idp.issuer().issuer()
    );
    for (name, what, scopes) in [
        ("CUSTOMER", "order shipping.write", &["order", "shipping.write"][..]),
        ("OPERATOR", "order (no shipping.write)", &["order"][..]),
        ("VIEWER", "order:item", &["order:item"][..]),
    ] {
        out.push_str(&format!("# {what}\nexport {name}={}\n", deployment.token("alice", scopes)));
    }
    let saw = |service: &str, audience: &str, scopes: &str| {
        format!(
            r#"{{"audience":["{audience}"],"scopes":[{scopes}],"service":"{service}","subject":"alice"}} 200"#
        )
    };
    let commands = [
        (
            saw("orders", "internal-apis", r#""order:item""#),
            format!("curl -s -w ' %{{http_code}}\\n' -H \"Authorization: Bearer $VIEWER\" {base}/orders/7/items"),
        ),
        (
            saw("shipping", "shipping-api", r#""shipping.write""#),
            format!("curl -s -w ' %{{http_code}}\\n' -X POST -H \"Authorization: Bearer $CUSTOMER\" {base}/orders/7/ship"),
        ),
        (
            r#"{"error":"the authorization server refused the token exchange (`invalid_scope`)"} 403"#.to_owned(),
            format!("curl -s -w ' %{{http_code}}\\n' -X POST -H \"Authorization: Bearer $OPERATOR\" {base}/orders/7/ship"),
        ),
        (
            "403".to_owned(),
            format!("curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $VIEWER\" {base}/orders/7/ship"),
        ),
        (
            "401".to_owned(),
            format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/orders/7/items"),
        ),
        (
            "401".to_owned(),
            format!("curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $CUSTOMER\" {shipping}/shipments"),
        ),
    ];
    out.push_str(
        "\n# what each downstream saw comes back as JSON; shipping refuses the caller's own token\n# try it (expected answer on the right):\n",
    );
    for (expected, command) in commands {
        out.push_str(&format!("{command}   # {expected}\n"));
    }
    out
}
