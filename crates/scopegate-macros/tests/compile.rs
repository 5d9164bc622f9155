//! The macros' compile errors, one diagnostic per file, with the expected output checked in
//! next to each file. Regenerate with `TRYBUILD=overwrite cargo test -p scopegate-macros`.

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
