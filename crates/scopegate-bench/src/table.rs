//! The results table and the ratios the targets are stated in, from medians in nanoseconds.

/// The benchmarks, by id and label, in table order.
pub const ROWS: [(&str, &str); 8] = [
    ("1_no_auth", "1. no authentication (baseline)"),
    ("2_raw_verify", "2. signature check, key parsed once (floor)"),
    ("3_jsonwebtoken", "3. plain `jsonwebtoken::decode` middleware"),
    ("4_scopegate_uncached", "4. scopegate, cache off"),
    ("5_scopegate_cached", "5. scopegate, cache hit"),
    ("6_scopegate_cached_extractors", "6. scopegate, cache hit, `RequireScope` + `Verified`"),
    ("7_aliri_tower", "7. aliri_tower"),
    ("8_scopegate_cached_sha256", "8. scopegate, cache hit, cache keyed by SHA-256"),
];

/// The algorithms, in column order.
pub const ALGORITHMS: [&str; 4] = ["RS256", "ES256", "EdDSA", "HS256"];

fn show(nanos: Option<f64>) -> String {
    match nanos {
        Some(ns) if ns >= 10_000.0 => format!("{:.1} µs", ns / 1000.0),
        Some(ns) if ns >= 1000.0 => format!("{:.2} µs", ns / 1000.0),
        Some(ns) => format!("{ns:.0} ns"),
        None => "n/a".to_owned(),
    }
}

/// Prints the medians (`median(algorithm, benchmark)`) and the ratios as Markdown tables.
pub fn print(median: &dyn Fn(&str, &str) -> Option<f64>) {
    println!("| median | {} |", ALGORITHMS.join(" | "));
    println!("|---|{}", "---|".repeat(ALGORITHMS.len()));
    for (bench, label) in ROWS {
        let cells: Vec<String> = ALGORITHMS.iter().map(|alg| show(median(alg, bench))).collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
    type Ratio = fn(&dyn Fn(&str) -> Option<f64>) -> Option<String>;
    let ratios: [(&str, Ratio); 5] = [
        ("(4 - 1) - 2: work around the signature, uncached (target <= 1 µs)", |m| {
            let ns = m("4_scopegate_uncached")? - m("1_no_auth")? - m("2_raw_verify")?;
            Some(format!("{ns:.0} ns"))
        }),
        ("(4 - 1) / 2: uncached overhead in signature checks (RS256 target <= 1.07)", |m| {
            Some(format!(
                "{:.3}",
                (m("4_scopegate_uncached")? - m("1_no_auth")?) / m("2_raw_verify")?
            ))
        }),
        ("5 - 1: cache-hit overhead (target <= 250 ns)", |m| {
            Some(format!("{:.0} ns", m("5_scopegate_cached")? - m("1_no_auth")?))
        }),
        ("8 - 1: cache-hit overhead, cache keyed by SHA-256", |m| {
            Some(format!("{:.0} ns", m("8_scopegate_cached_sha256")? - m("1_no_auth")?))
        }),
        ("4 / 7: scopegate uncached / aliri_tower (target <= 0.8)", |m| {
            Some(format!("{:.3}", m("4_scopegate_uncached")? / m("7_aliri_tower")?))
        }),
    ];
    println!();
    println!("| ratio | {} |", ALGORITHMS.join(" | "));
    println!("|---|{}", "---|".repeat(ALGORITHMS.len()));
    for (label, ratio) in ratios {
        let cells: Vec<String> = ALGORITHMS
            .iter()
            .map(|alg| ratio(&|bench| median(alg, bench)).unwrap_or_else(|| "n/a".to_owned()))
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}
