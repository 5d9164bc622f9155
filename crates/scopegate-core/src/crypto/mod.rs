//! Signature verification backends. Each prepares a key once for one algorithm, so the
//! per-request work is the signature check alone.

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "scopegate-core needs a crypto backend: enable the `aws-lc-rs` (default) or `rust-crypto` feature"
);

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc::PreparedVerifier;

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) use rust_crypto::PreparedVerifier;

/// The name of the backend compiled in, for diagnostics.
#[cfg(feature = "aws-lc-rs")]
pub const BACKEND: &str = "aws-lc-rs";
/// The name of the backend compiled in, for diagnostics.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub const BACKEND: &str = "rust-crypto";
