//! Verifying access tokens: signature, issuer, audience, lifetime, and header rules.
//!
//! A [`Verifier`] trusts one or more issuers, each with its own keys. For every token it:
//!
//! 1. refuses tokens over the size cap (8 KiB by default) before decoding anything;
//! 2. splits the compact JWS and decodes its segments (strict unpadded base64url; JSON objects
//!    without duplicate members, nested at most 16 deep);
//! 3. checks the header: `alg` known and not `none`, `crit`, `b64`, JWE and nested tokens
//!    refused, `typ` absent, `JWT`, `at+jwt` or `application/at+jwt` (only the last two in
//!    strict RFC 9068 mode); embedded keys (`jwk`, `jku`, `x5u`, `x5c`) are never used;
//! 4. picks the issuer by the unverified `iss` from the allowlist, checks `alg` against that
//!    issuer's allowlist, and finds its keys by `kid` among those that verify `alg`;
//! 5. verifies the signature;
//! 6. checks the claims: `aud` names one of ours, `exp` present and not passed, `nbf` and
//!    `iat` not in the future (all with the leeway), optional maximum age, no `cnf`, and in
//!    strict RFC 9068 mode `sub`, `client_id`, `iat` and `jti` present;
//! 7. returns [`Claims`].
//!
//! ```
//! use scopegate_core::{ErrorKind, Verifier, VerificationKey};
//!
//! # async fn run() -> Result<(), scopegate_core::Error> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let public_key_pem = issuer.key().public_key_pem();
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())
//!     .audience("orders-api")
//!     .key(VerificationKey::from_pem(&public_key_pem)?)
//!     .build()
//!     .await?;
//!
//! let token = issuer.token().audience("orders-api").scopes(["orders.read"]).sign();
//! let claims = verifier.verify(&token).await?;
//! assert!(claims.has_scope("orders.read"));
//!
//! let other_api = issuer.token().audience("billing-api").sign();
//! let error = verifier.verify(&other_api).await.unwrap_err();
//! assert_eq!(error.kind(), ErrorKind::InvalidAudience);
//! # Ok(())
//! # }
//! # scopegate_testkit::block_on(run()).unwrap();
//! ```

mod builder;
mod issuer;
mod pipeline;
mod rules;
mod trusted;
mod verification;

pub use builder::{MAX_TOKEN_BYTES_LIMIT, VerifierBuilder};
pub use rules::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY};
pub use trusted::TrustedIssuer;
pub use verification::{PendingVerification, Verification};

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::claims::{Claims, NumericDate};
use crate::error::Error;
#[cfg(feature = "remote")]
use crate::error::ErrorKind;
use issuer::IssuerEntry;
#[cfg(feature = "remote")]
use issuer::KeySource;
use pipeline::Halt;
use rules::Rules;

/// Verifies access tokens. Cheap to clone; share one per service.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    issuers: HashMap<Box<str>, IssuerEntry>,
    rules: Rules,
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies `token` (the bare JWS, without `Bearer `), fetching the issuer's keys first
    /// when they are remote and missing or lack the token's `kid`.
    ///
    /// # Errors
    ///
    /// An [`Error`] whose [`class`](Error::class) is
    /// [`InvalidToken`](crate::ErrorClass::InvalidToken) for every token problem, or
    /// [`Unavailable`](crate::ErrorClass::Unavailable) when the issuer's keys cannot be had.
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        match self.verify_now(token) {
            Verification::Ready(result) => result,
            Verification::Pending(pending) => pending.await,
        }
    }

    /// Verifies `token` with the keys on hand, without waiting. When remote keys must first be
    /// fetched, returns [`Verification::Pending`], a future that finishes the work; with static
    /// keys the answer is always [`Verification::Ready`].
    ///
    /// This is the entry point for middleware that must not allocate a future per request.
    pub fn verify_now(&self, token: &str) -> Verification {
        match pipeline::verify(
            &self.inner.issuers,
            &self.inner.rules,
            token,
            NumericDate::now(),
            true,
        ) {
            Ok(claims) => Verification::Ready(Ok(claims)),
            Err(Halt::Error(error)) => Verification::Ready(Err(error)),
            #[cfg(feature = "remote")]
            Err(Halt::Fetch(remote, generation)) => {
                let verifier = self.clone();
                let token = token.to_owned();
                Verification::Pending(PendingVerification::new(async move {
                    remote
                        .refresh(generation, crate::remote::keys::Cause::Demand)
                        .await
                        .map_err(unavailable)?;
                    verifier.verify_at(&token, NumericDate::now())
                }))
            }
        }
    }

    /// Verifies `token` as of `now` instead of the system clock, with the keys on hand (it never
    /// fetches).
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify_at(&self, token: &str, now: NumericDate) -> Result<Claims, Error> {
        match pipeline::verify(&self.inner.issuers, &self.inner.rules, token, now, false) {
            Ok(claims) => Ok(claims),
            Err(Halt::Error(error)) => Err(error),
            #[cfg(feature = "remote")]
            Err(Halt::Fetch(..)) => Err(Error::new(
                ErrorKind::KeySourceUnavailable,
                "the issuer's keys are not available",
            )),
        }
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> + '_ {
        self.inner.issuers.keys().map(|issuer| &**issuer)
    }

    /// The size cap applied to tokens, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.inner.rules.max_token_bytes
    }

    /// What each remote key set has fetched, cached and refused, in issuer order.
    #[cfg(feature = "remote")]
    pub fn key_source_stats(&self) -> Vec<crate::remote::KeySourceStats> {
        let mut stats: Vec<_> = self
            .inner
            .issuers
            .values()
            .filter_map(|issuer| match &issuer.keys {
                KeySource::Remote(remote) => Some(remote.stats()),
                KeySource::Static(_) => None,
            })
            .collect();
        stats.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        stats
    }
}

/// A refresh failure as a request sees it: the keys are unavailable, whatever the cause.
#[cfg(feature = "remote")]
fn unavailable(error: Error) -> Error {
    if error.kind() == ErrorKind::KeySourceUnavailable {
        error
    } else {
        Error::new(ErrorKind::KeySourceUnavailable, "the issuer's keys could not be refreshed")
            .with_source(error)
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut issuers: Vec<_> = self.inner.issuers.values().collect();
        issuers.sort_by(|a, b| a.issuer.cmp(&b.issuer));
        f.debug_struct("Verifier")
            .field("issuers", &issuers)
            .field("rules", &self.inner.rules)
            .finish()
    }
}
