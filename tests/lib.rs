//! Shared helpers for scopegate's end-to-end tests. The tests themselves are the `[[test]]`
//! targets of this package; `README.md` says what each covers.

#![forbid(unsafe_code)]

use scopegate_core::{Claims, Error, ErrorKind, Verifier};

/// Verifies `token` with static keys, which never wait.
///
/// # Panics
///
/// If verification asks to wait for keys, which static keys never do.
#[allow(clippy::expect_used)]
pub fn verify(verifier: &Verifier, token: &str) -> Result<Claims, Error> {
    verifier.verify_now(token).into_ready().expect("static keys answer at once")
}

/// The kind of error verifying `token` gives.
///
/// # Panics
///
/// If the token verifies.
#[allow(clippy::panic)]
pub fn rejection(verifier: &Verifier, token: &str) -> ErrorKind {
    match verify(verifier, token) {
        Ok(claims) => panic!("token was accepted: {claims:?}"),
        Err(error) => error.kind(),
    }
}

/// The README's Rust examples, compiled and run as doc tests so that they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExamples;
