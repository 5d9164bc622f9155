//! The verification steps, in order. See the [module docs](super) for the rules.

#[cfg(feature = "remote")]
use std::sync::Arc;

use super::issuer::{IssuerEntry, KeySource};
use super::rules::Rules;
use crate::claims::{Claims, NumericDate, UnverifiedPayload, VerifiedPayload};
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, Header};
use crate::key::store::KeyStore;
#[cfg(feature = "remote")]
use crate::remote::keys::RemoteKeys;

/// How many keys a token without a usable `kid` is tried against before giving up.
const MAX_KEY_ATTEMPTS: usize = 8;

/// Why verification stopped before an answer.
pub(crate) enum Halt {
    /// The token is refused, or the keys are out of reach.
    Error(Error),
    /// The issuer's keys must be fetched first (generation observed).
    #[cfg(feature = "remote")]
    Fetch(Arc<RemoteKeys>, u64),
}

impl From<Error> for Halt {
    fn from(error: Error) -> Self {
        Self::Error(error)
    }
}

/// Verifies `token` at `now`. With `may_fetch`, a missing key set or an unknown `kid` halts
/// with [`Halt::Fetch`] when a refetch is allowed; without, it is an error.
pub(crate) fn verify(
    issuers: &std::collections::HashMap<Box<str>, IssuerEntry>,
    rules: &Rules,
    token: &str,
    now: NumericDate,
    may_fetch: bool,
) -> Result<Claims, Halt> {
    if token.len() > rules.max_token_bytes {
        return Err(Error::new(
            ErrorKind::TokenTooLarge,
            "the token is larger than this resource accepts",
        )
        .into());
    }
    let parts = CompactToken::split(token)?;
    let header =
        Header::from_json(jose::decode_json_segment(parts.header, "header")?, rules.type_rule())?;
    let payload = UnverifiedPayload::new(jose::decode_json_segment(parts.payload, "payload")?)?;
    let Some(issuer) = issuers.get(payload.issuer.as_str()) else {
        return Err(
            Error::new(ErrorKind::UntrustedIssuer, "the token's issuer is not trusted").into()
        );
    };
    if !issuer.algorithms.contains(header.algorithm) {
        let message = "the token's `alg` is not allowed for its issuer";
        return Err(Error::new(ErrorKind::DisallowedAlgorithm, message).into());
    }
    let signature = jose::decode_segment(parts.signature, "signature")?;
    let message = parts.signing_input.as_bytes();
    match &issuer.keys {
        KeySource::Static(store) => check_signature(store, &header, message, &signature)?,
        #[cfg(feature = "remote")]
        KeySource::Remote(remote) => check_remote(remote, &header, message, &signature, may_fetch)?,
    }
    #[cfg(not(feature = "remote"))]
    let _ = may_fetch;
    let payload = VerifiedPayload::new(payload, &rules.mapping)?;
    Ok(rules.check(payload, &issuer.audiences, now.as_secs())?)
}

fn check_signature(
    store: &KeyStore,
    header: &Header,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let mut candidates = store
        .candidates(header.key_id.as_deref(), header.algorithm)
        .take(MAX_KEY_ATTEMPTS)
        .peekable();
    if candidates.peek().is_none() {
        let message = "no key of the issuer matches the token's `kid` and `alg`";
        return Err(Error::new(ErrorKind::UnknownKey, message));
    }
    if candidates.any(|key| key.verify(message, signature)) {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::InvalidSignature, "the token's signature is invalid"))
    }
}

#[cfg(feature = "remote")]
fn check_remote(
    remote: &Arc<RemoteKeys>,
    header: &Header,
    message: &[u8],
    signature: &[u8],
    may_fetch: bool,
) -> Result<(), Halt> {
    let (store, generation) = remote.snapshot();
    let Some(store) = store else {
        remote.count_miss();
        if may_fetch && remote.worth_waiting(generation) {
            return Err(Halt::Fetch(Arc::clone(remote), generation));
        }
        let message = "the issuer's keys are not available yet";
        return Err(Error::new(ErrorKind::KeySourceUnavailable, message).into());
    };
    match check_signature(&store, header, message, signature) {
        Err(error) if error.kind() == ErrorKind::UnknownKey && header.key_id.is_some() => {
            remote.count_unknown_kid();
            if may_fetch && remote.worth_waiting(generation) {
                Err(Halt::Fetch(Arc::clone(remote), generation))
            } else {
                Err(error.into())
            }
        }
        outcome => {
            remote.count_hit();
            outcome.map_err(Halt::from)
        }
    }
}
