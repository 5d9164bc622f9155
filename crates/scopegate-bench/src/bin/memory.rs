//! Bytes per cached token: the resident memory the verified-token cache adds for 10,000
//! distinct tokens, against its own estimate, for each [`TokenCacheKey`]. Each runs in a
//! process of its own (the binary runs itself), so that one does not reuse the other's memory.
//!
//! ```text
//! cargo run --release -p scopegate-bench --bin memory
//! ```

#![forbid(unsafe_code)]

use std::error::Error;

use orders_api::dev::DevIssuer;
use scopegate::TokenCacheKey;

/// Resident set size in bytes, from `/proc/self/statm`.
fn resident_bytes() -> Result<u64, Box<dyn Error>> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: u64 = statm.split_whitespace().nth(1).ok_or("statm")?.parse()?;
    Ok(pages * 4096)
}

fn main() -> Result<(), Box<dyn Error>> {
    match std::env::args().nth(1).as_deref() {
        Some("token") => measure(TokenCacheKey::Token),
        Some("sha256") => measure(TokenCacheKey::Sha256),
        _ => {
            for key in ["token", "sha256"] {
                let status =
                    std::process::Command::new(std::env::current_exe()?).arg(key).status()?;
                if !status.success() {
                    return Err(format!("measuring {key} failed: {status}").into());
                }
            }
            Ok(())
        }
    }
}

fn measure(key: TokenCacheKey) -> Result<(), Box<dyn Error>> {
    const TOKENS: usize = 10_000;
    let issuer = DevIssuer::new();
    let tokens: Vec<String> =
        (0..TOKENS).map(|index| issuer.reader_token(&format!("user-{index}"))).collect();
    let verifier = issuer.verifier_builder().token_cache_key(key).build_static()?;
    // Warm everything but the cache: one token verified twice.
    let first = tokens.first().ok_or("no tokens")?;
    for _ in 0..2 {
        verifier.verify_now(first).into_ready().ok_or("static keys")??;
    }
    let before = resident_bytes()?;
    for token in &tokens {
        verifier.verify_now(token).into_ready().ok_or("static keys")??;
    }
    let after = resident_bytes()?;
    let stats = verifier.token_cache_stats().ok_or("cache on")?;
    let average_token = tokens.iter().map(String::len).sum::<usize>() / TOKENS;
    println!(
        "cache keyed by {key:?}: tokens: {TOKENS}, average token length: {average_token} bytes, cached entries: {}",
        stats.entries
    );
    println!(
        "resident memory added: {} KiB, {} bytes per cached token; the cache's own estimate: {} bytes per token",
        (after - before) / 1024,
        (after - before) / stats.entries as u64,
        stats.estimated_bytes / stats.entries as u64
    );
    Ok(())
}
