//! The orders-api under load: serves `orders_api::app` with the development issuer and writes
//! reader tokens for `load.sh` to a file. Not for production use.
//!
//! ```text
//! loadserver <address> <tokens-file> <token-count> <cache: on|off>
//! ```

#![forbid(unsafe_code)]

use std::error::Error;
use std::io::Write;

use orders_api::dev::DevIssuer;

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: loadserver <address> <tokens-file> <token-count> <on|off>";
    let (Some(address), Some(path), Some(count), Some(cache)) =
        (args.next(), args.next(), args.next(), args.next())
    else {
        return Err(usage.into());
    };
    let count: usize = count.parse()?;
    let issuer = DevIssuer::new();
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
    for index in 0..count {
        writeln!(file, "{}", issuer.reader_token(&format!("user-{index}")))?;
    }
    file.flush()?;
    let builder = issuer.verifier_builder();
    let verifier = match cache.as_str() {
        "on" => builder.build_static()?,
        "off" => builder.disable_token_cache().build_static()?,
        _ => return Err(usage.into()),
    };
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&address).await?;
        println!("ready on http://{}", listener.local_addr()?);
        axum::serve(listener, orders_api::app(verifier)).await?;
        Ok(())
    })
}
