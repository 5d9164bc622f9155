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

/// The guides' Rust examples (`docs/`, also the facade's `guide` module), run the same way.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../crates/scopegate/docs/verification.md")]
    struct Verification;
    #[doc = include_str!("../crates/scopegate/docs/clients.md")]
    struct Clients;
    #[doc = include_str!("../crates/scopegate/docs/providers.md")]
    struct Providers;
    #[doc = include_str!("../crates/scopegate/docs/tenants.md")]
    struct Tenants;
    #[doc = include_str!("../crates/scopegate/docs/revocation.md")]
    struct Revocation;
    #[doc = include_str!("../crates/scopegate/docs/step-up.md")]
    struct StepUp;
    #[doc = include_str!("../crates/scopegate/docs/introspection.md")]
    struct Introspection;
    #[doc = include_str!("../crates/scopegate/docs/dpop.md")]
    struct Dpop;
    #[doc = include_str!("../crates/scopegate/docs/mtls.md")]
    struct Mtls;
    #[doc = include_str!("../crates/scopegate/docs/openapi.md")]
    struct Openapi;
    #[doc = include_str!("../crates/scopegate/docs/downstream.md")]
    struct Downstream;
    #[doc = include_str!("../crates/scopegate/docs/replicas.md")]
    struct Replicas;
    #[doc = include_str!("../crates/scopegate/docs/grpc.md")]
    struct Grpc;
    #[doc = include_str!("../crates/scopegate/docs/mcp.md")]
    struct Mcp;
    #[doc = include_str!("../crates/scopegate/docs/operations.md")]
    struct Operations;
    #[doc = include_str!("../crates/scopegate/docs/testing.md")]
    struct Testing;
    #[doc = include_str!("../crates/scopegate/docs/performance.md")]
    struct Performance;
}

/// Log output captured in memory, for tests that check what is (and is not) logged.
#[derive(Clone, Debug, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// The writer to give a `tracing_subscriber::fmt()` builder (`.with_writer(writer)`), and
    /// the handle to read the text through.
    pub fn new() -> (impl Fn() -> Self + Send + Sync + 'static, Self) {
        let logs = Self::default();
        let writer = logs.clone();
        (move || writer.clone(), logs)
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        let bytes = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut logs = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        logs.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
