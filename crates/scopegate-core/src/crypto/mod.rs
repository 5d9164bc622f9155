//! Signature verification backends. Each prepares a key once for one algorithm, so the
//! per-request work is the signature check alone. The bottom of the crate: it knows key
//! material and algorithms, nothing of JWKs, tokens or issuers.

mod material;

pub(crate) use material::{Curve, KeyMaterial};
pub use material::{MAX_RSA_BITS, MAX_RSA_EXPONENT_BITS, MIN_RSA_BITS};

#[cfg(not(any(feature = "aws-lc-rs", feature = "rust-crypto")))]
compile_error!(
    "scopegate-core needs a crypto backend: enable the `aws-lc-rs` (default) or `rust-crypto` feature"
);

#[cfg(feature = "aws-lc-rs")]
mod aws_lc;
#[cfg(feature = "aws-lc-rs")]
pub(crate) use aws_lc::{PreparedVerifier, hmac_sha256, sha256};

#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
mod rust_crypto;
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub(crate) use rust_crypto::{PreparedVerifier, hmac_sha256, sha256};

/// The name of the backend compiled in, for diagnostics.
#[cfg(feature = "aws-lc-rs")]
pub const BACKEND: &str = "aws-lc-rs";
/// The name of the backend compiled in, for diagnostics.
#[cfg(all(feature = "rust-crypto", not(feature = "aws-lc-rs")))]
pub const BACKEND: &str = "rust-crypto";
