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
mod rules;

pub use builder::{MAX_TOKEN_BYTES_LIMIT, TrustedIssuer, VerifierBuilder};
pub use rules::{DEFAULT_LEEWAY, DEFAULT_MAX_TOKEN_BYTES, MAX_LEEWAY};

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::algorithms::AlgorithmSet;
use crate::claims::{Claims, NumericDate, UnverifiedPayload, VerifiedPayload};
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, Header};
use crate::key::store::KeyStore;
use rules::Rules;

/// How many keys a token without a usable `kid` is tried against before giving up.
const MAX_KEY_ATTEMPTS: usize = 8;

/// Verifies access tokens. Cheap to clone; share one per service.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<VerifierInner>,
}

struct VerifierInner {
    issuers: HashMap<Box<str>, IssuerEntry>,
    rules: Rules,
}

struct IssuerEntry {
    issuer: Box<str>,
    audiences: Box<[Box<str>]>,
    algorithms: AlgorithmSet,
    keys: KeyStore,
}

impl Verifier {
    /// Starts configuring a verifier.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::default()
    }

    /// Verifies `token` (the bare JWS, without `Bearer `).
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

    /// Verifies `token` with the keys on hand, without waiting. When keys must first be
    /// fetched, returns [`Verification::Pending`], a future that finishes the work; with
    /// static keys the answer is always [`Verification::Ready`].
    ///
    /// This is the entry point for middleware that must not allocate a future per request.
    pub fn verify_now(&self, token: &str) -> Verification {
        Verification::Ready(self.verify_at(token, NumericDate::now()))
    }

    /// Verifies `token` as of `now` instead of the system clock.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify`].
    pub fn verify_at(&self, token: &str, now: NumericDate) -> Result<Claims, Error> {
        let rules = &self.inner.rules;
        if token.len() > rules.max_token_bytes {
            return Err(Error::new(
                ErrorKind::TokenTooLarge,
                "the token is larger than this resource accepts",
            ));
        }
        let parts = CompactToken::split(token)?;
        let header = Header::from_json(
            jose::decode_json_segment(parts.header, "header")?,
            rules.type_rule(),
        )?;
        let payload = UnverifiedPayload::new(jose::decode_json_segment(parts.payload, "payload")?)?;
        let Some(issuer) = self.inner.issuers.get(payload.issuer.as_str()) else {
            return Err(Error::new(
                ErrorKind::UntrustedIssuer,
                "the token's issuer is not trusted",
            ));
        };
        if !issuer.algorithms.contains(header.algorithm) {
            return Err(Error::new(
                ErrorKind::DisallowedAlgorithm,
                "the token's `alg` is not allowed for its issuer",
            ));
        }
        let signature = jose::decode_segment(parts.signature, "signature")?;
        let mut candidates = issuer
            .keys
            .candidates(header.key_id.as_deref(), header.algorithm)
            .take(MAX_KEY_ATTEMPTS)
            .peekable();
        if candidates.peek().is_none() {
            return Err(Error::new(
                ErrorKind::UnknownKey,
                "no key of the issuer matches the token's `kid` and `alg`",
            ));
        }
        if !candidates.any(|key| key.verify(parts.signing_input.as_bytes(), &signature)) {
            return Err(Error::new(
                ErrorKind::InvalidSignature,
                "the token's signature is invalid",
            ));
        }
        let payload = VerifiedPayload::new(payload, &rules.mapping)?;
        rules.check(payload, &issuer.audiences, now.as_secs())
    }

    /// The trusted issuers.
    pub fn issuers(&self) -> impl Iterator<Item = &str> + '_ {
        self.inner.issuers.keys().map(|issuer| &**issuer)
    }

    /// The size cap applied to tokens, in bytes.
    pub fn max_token_bytes(&self) -> usize {
        self.inner.rules.max_token_bytes
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

impl fmt::Debug for IssuerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Issuer")
            .field("iss", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms.iter().collect::<Vec<_>>())
            .field("keys", &self.keys)
            .finish()
    }
}

/// The outcome of [`Verifier::verify_now`].
#[derive(Debug)]
pub enum Verification {
    /// Verification finished.
    Ready(Result<Claims, Error>),
    /// Verification waits for keys; await this to finish it.
    Pending(PendingVerification),
}

impl Verification {
    /// The result, if verification finished without waiting.
    pub fn into_ready(self) -> Option<Result<Claims, Error>> {
        match self {
            Self::Ready(result) => Some(result),
            Self::Pending(_) => None,
        }
    }
}

/// A verification that waits for keys to be fetched.
pub struct PendingVerification {
    future: Pin<Box<dyn Future<Output = Result<Claims, Error>> + Send + 'static>>,
}

impl Future for PendingVerification {
    type Output = Result<Claims, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification").finish_non_exhaustive()
    }
}
