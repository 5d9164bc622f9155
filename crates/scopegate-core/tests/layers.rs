//! The module layering of scopegate-core (ARCHITECTURE.md, "Inside scopegate-core"): each
//! module may use only the modules of lower layers and its own. A `crate::<module>` path in
//! non-test code that points up or sideways fails this test.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::Path;

/// Lowest first. A module may depend on the modules of earlier layers only.
const LAYERS: &[&[&str]] = &[
    &["error", "clock", "json", "sorted_strs", "literal"],
    &["algorithm", "scope", "role", "telemetry"],
    &["crypto", "jose", "claims", "resource", "flight"],
    &["key", "seal", "certificate"],
    &["dpop"],
    &["remote"],
    &["verifier"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Non-test code of a source file: everything before the first `#[cfg(test)]`.
fn production_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

fn visit(dir: &Path, found: &mut BTreeMap<String, Vec<(String, String)>>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, found);
            continue;
        }
        let relative =
            path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
        let module =
            relative.iter().next().unwrap().to_string_lossy().trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "fuzz" {
            continue;
        }
        let code = production_code(&std::fs::read_to_string(&path).unwrap());
        for (index, _) in code.match_indices("crate::") {
            let used: String = code[index + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if used.is_empty() || used == module || used.starts_with("__") {
                continue;
            }
            found.entry(module.clone()).or_default().push((used, relative.display().to_string()));
        }
    }
}

#[test]
fn no_module_uses_a_higher_or_equal_layer() {
    let mut found = BTreeMap::new();
    visit(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    let mut wrong = Vec::new();
    for (module, uses) in &found {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("module `{module}` is in no layer: add it to LAYERS"));
            continue;
        };
        for (used, file) in uses {
            match layer_of(used) {
                Some(layer) if layer < own => {}
                _ => wrong.push(format!("{file}: `{module}` uses `{used}`")),
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
