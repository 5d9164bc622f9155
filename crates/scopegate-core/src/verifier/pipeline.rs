//! The verification steps, in order. See the [module docs](super) for the rules.

use std::rc::Rc;
use std::sync::Arc;

use super::issuer::{IssuerEntry, Issuers, KeySource};
use super::rules::{Rules, Source};
#[cfg(feature = "remote")]
use super::tenants::{Lookup, TenantDirectory, TenantEntry};
use crate::claims::{Claims, NumericDate, UnverifiedPayload, VerifiedPayload};
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, Header, TypeRule, header_memo};
use crate::key::Epoch;
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
    /// The tenant resolver must be asked about this issuer first.
    #[cfg(feature = "remote")]
    Resolve(Arc<str>),
}

/// The issuers a token may come from, for one request: the configured ones, and the tenants
/// (with the tenant the request names, if it names one).
#[derive(Clone, Copy)]
pub(crate) struct Trust<'a> {
    pub(crate) issuers: &'a Issuers,
    #[cfg(feature = "remote")]
    pub(crate) tenants: Option<&'a TenantDirectory>,
    #[cfg(feature = "remote")]
    pub(crate) tenant: Option<&'a str>,
}

/// The issuer found for a token.
enum Found<'a> {
    Configured(&'a IssuerEntry),
    /// A tenant's, and whether it is on probation (not yet live).
    #[cfg(feature = "remote")]
    Tenant(Arc<TenantEntry>, bool),
}

impl Found<'_> {
    fn entry(&self) -> &IssuerEntry {
        match self {
            Self::Configured(entry) => entry,
            #[cfg(feature = "remote")]
            Self::Tenant(tenant, _) => &tenant.issuer,
        }
    }
}

impl<'a> Trust<'a> {
    /// The issuer named `iss`: a configured one, else a tenant.
    fn find(&self, iss: &str, now: u64) -> Result<Found<'a>, Halt> {
        if let Some(entry) = self.issuers.get(iss) {
            return Ok(Found::Configured(entry));
        }
        #[cfg(feature = "remote")]
        if let Some(tenants) = self.tenants {
            return match tenants.find(iss, self.tenant, now)? {
                Lookup::Found(entry, on_probation) => Ok(Found::Tenant(entry, on_probation)),
                Lookup::Ask => Err(Halt::Resolve(iss.into())),
            };
        }
        #[cfg(not(feature = "remote"))]
        let _ = now;
        Err(Error::new(ErrorKind::UntrustedIssuer, "the token's issuer is not trusted").into())
    }

    /// What a tenant adds once its token verified: its own checks, and leaving probation.
    fn settle(&self, found: &Found<'_>, claims: &Claims) -> Result<(), Error> {
        #[cfg(feature = "remote")]
        if let (Found::Tenant(entry, on_probation), Some(tenants)) = (found, self.tenants) {
            entry.check(claims)?;
            if *on_probation {
                tenants.promote(entry);
            }
        }
        #[cfg(not(feature = "remote"))]
        let _ = (found, claims);
        Ok(())
    }
}

impl From<Error> for Halt {
    fn from(error: Error) -> Self {
        Self::Error(error)
    }
}

/// A verified token, with what a cache needs to keep it.
pub(crate) struct Verified {
    pub(crate) claims: Claims,
    /// Seconds since the epoch, exclusive.
    pub(crate) valid_until: u64,
    /// For remote keys: the key epoch the token was verified under.
    pub(crate) epoch: Option<Epoch>,
}

/// Verifies `token` at `now`. With `may_fetch`, a missing key set or an unknown `kid` halts
/// with [`Halt::Fetch`] when a refetch is allowed; without, it is an error.
///
/// Runs in a `scopegate.verify` span (debug level) with the issuer (once it is known to be one
/// of ours: never a name from an untrusted token), the outcome and the error kind; never the
/// token or a claim value. A refusal also logs a debug event inside the span.
pub(crate) fn verify(
    trust: Trust<'_>,
    rules: &Rules,
    token: &str,
    now: NumericDate,
    may_fetch: bool,
) -> Result<Verified, Halt> {
    let span = tracing::debug_span!(
        "scopegate.verify",
        issuer = tracing::field::Empty,
        outcome = tracing::field::Empty,
        error_kind = tracing::field::Empty,
    );
    if span.is_disabled() {
        return verify_token(trust, rules, token, now, may_fetch, &span);
    }
    let _entered = span.enter();
    let result = verify_token(trust, rules, token, now, may_fetch, &span);
    match &result {
        Ok(_) => {
            span.record("outcome", "verified");
        }
        Err(Halt::Error(error)) => {
            span.record("outcome", "refused");
            span.record("error_kind", error.kind().name());
            tracing::debug!(reason = %error, "token refused");
        }
        #[cfg(feature = "remote")]
        Err(Halt::Fetch(..)) => {
            span.record("outcome", "keys_needed");
        }
        #[cfg(feature = "remote")]
        Err(Halt::Resolve(..)) => {
            span.record("outcome", "tenant_needed");
        }
    }
    result
}

fn verify_token(
    trust: Trust<'_>,
    rules: &Rules,
    token: &str,
    now: NumericDate,
    may_fetch: bool,
    span: &tracing::Span,
) -> Result<Verified, Halt> {
    if token.len() > rules.max_token_bytes {
        return Err(Error::new(
            ErrorKind::TokenTooLarge,
            "the token is larger than this resource accepts",
        )
        .into());
    }
    let parts = CompactToken::split(token)?;
    let type_rule = rules.type_rule();
    let recalled = header_memo::recall(parts.header, type_rule);
    let header = match &recalled {
        Some(header) => Rc::clone(header),
        None => Rc::new(parse_header(parts.header, type_rule)?),
    };
    // Segments decode on the stack when they fit (most do), on the heap otherwise.
    let (mut payload_stack, mut payload_heap) = ([0u8; 1024], Vec::new());
    let payload_bytes =
        jose::decode_into(parts.payload, "payload", &mut payload_stack, &mut payload_heap)?;
    let payload = UnverifiedPayload::parse(payload_bytes)?;
    let found = trust.find(&payload.issuer, now.as_secs())?;
    let issuer = found.entry();
    span.record("issuer", &*issuer.issuer);
    if !issuer.algorithms.contains(header.algorithm) {
        let message = "the token's `alg` is not allowed for its issuer";
        return Err(Error::new(ErrorKind::DisallowedAlgorithm, message).into());
    }
    let (mut signature_stack, mut signature_heap) = ([0u8; 512], Vec::new());
    let signature =
        jose::decode_into(parts.signature, "signature", &mut signature_stack, &mut signature_heap)?;
    let message = parts.signing_input.as_bytes();
    let epoch = match &issuer.keys {
        KeySource::Static(store) => {
            check_signature(store, &header, message, signature)?;
            None
        }
        #[cfg(feature = "remote")]
        KeySource::Remote(remote) => {
            Some(check_remote(remote.keys(), &header, message, signature, may_fetch)?)
        }
    };
    #[cfg(not(feature = "remote"))]
    let _ = may_fetch;
    if recalled.is_none() {
        header_memo::remember(parts.header, type_rule, &header);
    }
    let payload = VerifiedPayload::new(payload, Arc::clone(&issuer.issuer), &issuer.mapping)?;
    let claims = rules.check(payload, issuer, now.as_secs(), Source::Jwt)?;
    trust.settle(&found, &claims)?;
    Ok(Verified { valid_until: rules.valid_until(&claims), claims, epoch })
}

/// Decodes and parses a header segment. Segments decode on the stack when they fit (most do),
/// on the heap otherwise.
fn parse_header(segment: &str, rule: TypeRule) -> Result<Header, Error> {
    let (mut stack, mut heap) = ([0u8; 256], Vec::new());
    Header::parse(jose::decode_into(segment, "header", &mut stack, &mut heap)?, rule)
}

/// Whether `token` has the shape of a JWS: three segments, the first decoding to a JSON object.
/// Anything else is opaque.
#[cfg(feature = "remote")]
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    let Ok(parts) = CompactToken::split(token) else { return false };
    let prefix = parts.header.get(..4).unwrap_or(parts.header);
    let (mut stack, mut heap) = ([0u8; 3], Vec::new());
    jose::decode_into(prefix, "header", &mut stack, &mut heap)
        .is_ok_and(|bytes| bytes.first() == Some(&b'{'))
}

/// Checks the header of a JWT-shaped token that is introspected rather than verified here:
/// the same rules (`typ`, `alg`, `crit`) a verified token's header passes.
#[cfg(feature = "remote")]
pub(crate) fn check_header(token: &str, rule: TypeRule) -> Result<(), Error> {
    let parts = CompactToken::split(token)?;
    parse_header(parts.header, rule).map(drop)
}

/// The `iss` of a JWT-shaped token, unverified: only to route it.
#[cfg(feature = "remote")]
pub(crate) fn unverified_issuer(token: &str) -> Option<String> {
    let parts = CompactToken::split(token).ok()?;
    let bytes = jose::decode_segment(parts.payload, "payload").ok()?;
    UnverifiedPayload::parse(&bytes).ok().map(|payload| payload.issuer.into_owned())
}

pub(super) fn check_signature(
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
pub(super) fn check_remote(
    remote: &Arc<RemoteKeys>,
    header: &Header,
    message: &[u8],
    signature: &[u8],
    may_fetch: bool,
) -> Result<Epoch, Halt> {
    // Read before the signature check, so that a key dropped meanwhile makes the entry stale.
    let epoch = remote.epoch();
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
            outcome.map(|()| epoch).map_err(Halt::from)
        }
    }
}
