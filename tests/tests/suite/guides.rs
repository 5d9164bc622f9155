//! The guides in `crates/scopegate/docs/`: each is linked from the README, is a module of the
//! facade's `guide`, and has its code blocks run as doc tests (`tests/lib.rs`). A new guide
//! missing from one of them fails here.

use std::path::Path;

#[test]
fn every_guide_is_linked_documented_and_tested() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap();
    let (readme, facade, doctests) =
        (read("README.md"), read("crates/scopegate/src/lib.rs"), read("tests/lib.rs"));
    let mut guides: Vec<String> = std::fs::read_dir(root.join("crates/scopegate/docs"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".md"))
        .collect();
    guides.sort();
    assert_eq!(guides.len(), 17, "{guides:?}");
    for guide in &guides {
        assert!(readme.contains(&format!("](crates/scopegate/docs/{guide})")), "README: {guide}");
        assert!(facade.contains(&format!("include_str!(\"../docs/{guide}\")")), "facade: {guide}");
        let tested = format!("include_str!(\"../crates/scopegate/docs/{guide}\")");
        assert!(doctests.contains(&tested), "tests/lib.rs: {guide}");
    }
}
