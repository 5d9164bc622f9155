//! Every end-to-end test of scopegate, in one test binary: each file in this folder is a
//! module, found by `automod` (so a new file cannot be left out) and linked once. `README.md`
//! says what each covers.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod attack;

automod::dir!("tests/suite");
