//! DPoP (RFC 9449): access tokens bound to a key the client proves it holds on every request.
//!
//! A [`Dpop`] configuration on the verifier
//! ([`VerifierBuilder::dpop`](crate::VerifierBuilder::dpop)) decides whether DPoP is allowed
//! or required, which proof algorithms are accepted, how old a proof may be, the external URL
//! proofs are made for, where seen proofs are remembered ([`ReplayStore`]) and, optionally,
//! the server's nonces ([`Nonces`]). `scopegate-tower`'s layer reads the `Authorization: DPoP`
//! and `DPoP` headers and calls [`Verifier::verify_dpop`](crate::Verifier::verify_dpop).
//!
//! Every proof check of RFC 9449 section 4.3 runs, each failure with its own
//! [`ErrorKind`](crate::ErrorKind): one compact JWS; `typ` `dpop+jwt`; an asymmetric `alg` on
//! the allowlist; a public `jwk` (no private members) that fits `alg` and verifies the
//! signature; `htm` the request's method; `htu` the request's URI at the configured external
//! URL (normalised, query and fragment ignored); `iat` within the window; a `jti` seen once;
//! `ath` the hash of the access token; the token's `cnf.jkt` the thumbprint of the proof's key;
//! the nonce, when nonces are on.
//!
//! ```
//! use std::time::Duration;
//! use scopegate_core::dpop::{Dpop, DpopMode};
//!
//! let dpop = Dpop::new(DpopMode::Allowed, "https://api.example.com")?
//!     .proof_max_age(Duration::from_secs(30));
//! assert_eq!(dpop.mode(), DpopMode::Allowed);
//! assert_eq!(dpop.algorithm_names(), "RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA");
//! # Ok::<(), scopegate_core::Error>(())
//! ```

mod memory_replay;
mod nonce;
pub(crate) mod proof;
mod proof_json;
mod replay;
pub(crate) mod uri;

pub use memory_replay::{DEFAULT_REPLAY_ENTRIES, InMemoryReplayStore};
pub use nonce::{DEFAULT_NONCE_LIFETIME, Nonces};
pub use proof::{MAX_JTI_BYTES, MAX_PROOF_RSA_BITS, MAX_PROOF_RSA_EXPONENT};
pub use replay::{ProofId, ReplayFuture, ReplayStore};

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::algorithm::{Algorithm, AlgorithmSet};
use crate::error::Error;
use crate::key::jwk::{PublicJwk, Strictness};

/// Default age a proof may have (`iat` in the past).
pub const DEFAULT_PROOF_MAX_AGE: Duration = Duration::from_secs(60);
/// Default clock skew tolerated for a proof from the future.
pub const DEFAULT_PROOF_FUTURE_SKEW: Duration = Duration::from_secs(5);
/// Default cap on the size of a proof, in bytes.
pub const DEFAULT_MAX_PROOF_BYTES: usize = 8 * 1024;
/// Default bound on how far apart the clocks of the replicas sharing a replay store may be.
pub const DEFAULT_REPLICA_CLOCK_SKEW: Duration = Duration::from_secs(30);

/// Whether DPoP is off, allowed or required.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DpopMode {
    /// Bearer tokens only; a DPoP-bound token is refused. The default without a [`Dpop`].
    #[default]
    Off,
    /// Bearer and DPoP both accepted; a DPoP-bound token must come with a proof (it is refused
    /// as a bearer token). What a [`Dpop`] configuration usually wants: existing bearer clients
    /// keep working while clients move to DPoP.
    Allowed,
    /// DPoP only: bearer requests get the DPoP challenge.
    Required,
}

/// How DPoP proofs are checked. See the [module docs](self).
#[derive(Clone)]
#[must_use]
pub struct Dpop {
    pub(crate) mode: DpopMode,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) max_age: Duration,
    pub(crate) future_skew: Duration,
    pub(crate) replica_skew: Duration,
    /// The external URL, normalised, without a trailing slash.
    pub(crate) public_url: String,
    pub(crate) replay: Arc<dyn ReplayStore>,
    pub(crate) nonces: Option<Nonces>,
    pub(crate) max_proof_bytes: usize,
}

impl Dpop {
    /// DPoP in `mode`, for proofs made for `public_url`: the scheme, host, port and path
    /// prefix clients use to reach this API (`https://api.example.com`). Behind a proxy the
    /// request the server sees is not what the client signed, so `htu` is compared with this
    /// URL followed by the request's path; forwarded headers are never trusted.
    ///
    /// Defaults: every asymmetric algorithm, proofs up to 60 s old and 5 s from the future,
    /// replicas' clocks within 30 s of each other, an [`InMemoryReplayStore`] of 100,000
    /// proofs, no nonces, proofs up to 8 KiB.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when
    /// `public_url` is not an absolute `http` or `https` URL without query or fragment.
    pub fn new(mode: DpopMode, public_url: &str) -> Result<Self, Error> {
        if public_url.contains(['?', '#']) {
            return Err(Error::config("the DPoP public URL must have no query or fragment"));
        }
        let normal = uri::normalize(public_url).ok_or_else(|| {
            Error::config(format!("the DPoP public URL `{public_url}` is not an http(s) URL"))
        })?;
        Ok(Self {
            mode,
            algorithms: AlgorithmSet::asymmetric(),
            max_age: DEFAULT_PROOF_MAX_AGE,
            future_skew: DEFAULT_PROOF_FUTURE_SKEW,
            replica_skew: DEFAULT_REPLICA_CLOCK_SKEW,
            public_url: normal.trim_end_matches('/').to_owned(),
            replay: Arc::new(InMemoryReplayStore::default()),
            nonces: None,
            max_proof_bytes: DEFAULT_MAX_PROOF_BYTES,
        })
    }

    /// The proof algorithms accepted (asymmetric ones only; HMAC and `none` never are).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms =
            algorithms.into_iter().filter(|algorithm| !algorithm.is_symmetric()).collect();
        self
    }

    /// How old a proof may be (`iat`). Defaults to 60 seconds.
    pub fn proof_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// How far in the future a proof's `iat` may be. Defaults to 5 seconds.
    pub fn future_skew(mut self, skew: Duration) -> Self {
        self.future_skew = skew;
        self
    }

    /// How far apart the clocks of the replicas that share a [`ReplayStore`] may be. Each
    /// accepted proof is remembered for the proof's maximum age, plus the future skew, plus
    /// this: as long as any replica could still accept it, whichever replica accepted it
    /// first. Keep the replicas' clocks within it (NTP keeps them within milliseconds);
    /// a replica further off could accept a proof the others have forgotten. Defaults to 30
    /// seconds.
    pub fn replica_clock_skew(mut self, skew: Duration) -> Self {
        self.replica_skew = skew;
        self
    }

    /// How long an accepted proof is remembered: its maximum age, the future skew and the
    /// replicas' clock skew, plus one second, because `iat` is checked in whole seconds (a
    /// proof is accepted until just before `iat + max_age + 1`). The same on every replica,
    /// whatever its clock says.
    pub fn replay_ttl(&self) -> Duration {
        self.max_age
            .saturating_add(self.future_skew)
            .saturating_add(self.replica_skew)
            .saturating_add(Duration::from_secs(1))
    }

    /// Where seen proofs are remembered. Defaults to an [`InMemoryReplayStore`]; replicas
    /// need a shared one.
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.replay = Arc::new(store);
        self
    }

    /// Requires server-issued nonces in every proof.
    pub fn nonces(mut self, nonces: Nonces) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// The mode.
    pub fn mode(&self) -> DpopMode {
        self.mode
    }

    /// The accepted algorithms, space-separated, for the challenge's `algs` (RFC 9449 7.1).
    pub fn algorithm_names(&self) -> String {
        self.algorithms.iter().map(Algorithm::as_str).collect::<Vec<_>>().join(" ")
    }

    /// The accepted algorithms.
    pub fn algorithm_list(&self) -> Vec<Algorithm> {
        self.algorithms.iter().collect()
    }

    /// A fresh nonce at `now` (seconds), when nonces are on.
    pub fn issue_nonce(&self, now: u64) -> Option<String> {
        self.nonces.as_ref().map(|nonces| nonces.issue(now))
    }

    /// `path` if a proof's `htu` may name it (after the public URL): absolute, and without
    /// dot segments (`.`, `..`, or their percent-encoded spellings), which, resolved against
    /// the public URL, could leave its path, so that a proof made for another API on the same
    /// host would pass here.
    pub(crate) fn checked_path<'p>(&self, path: &'p str) -> Option<&'p str> {
        (path.starts_with('/') && !uri::has_dot_segment(path)).then_some(path)
    }
}

/// The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK given as JSON: what the
/// `cnf.jkt` of a token bound to that key holds (RFC 9449 section 6.1).
///
/// ```
/// // RFC 7638 section 3.1.
/// let jwk = r#"{"kty":"RSA","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
/// let thumbprint = scopegate_core::dpop::jwk_thumbprint(jwk)?;
/// assert_eq!(thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
/// # Ok::<(), scopegate_core::Error>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) when `jwk` is not a public JWK
/// scopegate reads.
pub fn jwk_thumbprint(jwk: &str) -> Result<String, Error> {
    let object = crate::json::parse_object(jwk.as_bytes())
        .map_err(|_| Error::key("the JWK is not a JSON object"))?;
    PublicJwk::from_object(&object, Strictness::Published)?.thumbprint()
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("mode", &self.mode)
            .field("algorithms", &self.algorithm_names())
            .field("max_age", &self.max_age)
            .field("future_skew", &self.future_skew)
            .field("replica_clock_skew", &self.replica_skew)
            .field("public_url", &self.public_url)
            .field("nonces", &self.nonces)
            .finish_non_exhaustive()
    }
}
