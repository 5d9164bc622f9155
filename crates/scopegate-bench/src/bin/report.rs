//! Prints the latest `cargo bench -p scopegate-bench --bench middleware` run as a table of
//! medians, with the ratios the performance targets are stated in.
//!
//! ```text
//! cargo bench -p scopegate-bench --bench middleware && cargo run -p scopegate-bench --bin report
//! ```

#![forbid(unsafe_code)]

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("criterion");
    let median = |group: &str, bench: &str| -> Option<f64> {
        let path = root.join(group).join(bench).join("new").join("estimates.json");
        let estimates: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(path).ok()?).ok()?;
        estimates.pointer("/median/point_estimate")?.as_f64()
    };
    scopegate_bench::table::print(&median);
    let scope = |bench| {
        median("scope_check", bench).map_or_else(|| "n/a".to_owned(), |ns| format!("{ns:.0} ns"))
    };
    println!();
    println!(
        "scope check (exact, 4 granted scopes): `scope!` type {}, literal slice {}, runtime requirement {}",
        scope("macro_type"),
        scope("literal_slice"),
        scope("runtime_requirement")
    );
}
