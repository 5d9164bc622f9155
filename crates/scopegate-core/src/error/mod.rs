//! The one error type of scopegate, and how each error maps onto RFC 6750.
//!
//! Every failure carries an [`ErrorKind`] (what went wrong, precise enough for tests and
//! metrics) and an [`ErrorClass`] derived from it (what the HTTP layer answers). Messages are
//! written for the client and the operator alike: they name claims and headers, never their
//! values, and never contain the token.
//!
//! ```
//! use scopegate_core::{Error, ErrorClass, ErrorKind};
//!
//! let error = Error::new(ErrorKind::Expired, "the token has expired");
//! assert_eq!(error.kind(), ErrorKind::Expired);
//! assert_eq!(error.class(), ErrorClass::InvalidToken);
//! assert_eq!(error.class().error_code(), Some("invalid_token"));
//! assert_eq!(error.to_string(), "the token has expired");
//! ```

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;

mod insufficient_authentication;
mod insufficient_scope;
mod name;

pub use insufficient_authentication::InsufficientAuthentication;
pub use insufficient_scope::InsufficientScope;

/// A boxed error that can cross threads; the `source` of an [`Error`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// What went wrong, as precisely as the caller may need to know.
///
/// New kinds may be added in minor releases; match on [`ErrorKind::class`] when all you need is
/// the HTTP answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request carried no usable credentials in the expected syntax (two `Authorization`
    /// headers, a token sent two ways, a malformed header).
    InvalidRequest,
    /// The token is larger than the configured cap; it was not decoded.
    TokenTooLarge,
    /// The token is not a compact JWS: wrong number of segments, bad base64url, bad JSON,
    /// duplicate members or a header field of the wrong type.
    MalformedToken,
    /// The header asks for something this verifier refuses to do (`crit`, `b64`, nested or
    /// encrypted tokens).
    UnsupportedHeader,
    /// The header's `typ` is not an access-token type this verifier accepts.
    InvalidTokenType,
    /// The header's `alg` is unknown, `none`, or not on the allowlist for this issuer.
    DisallowedAlgorithm,
    /// The `iss` claim names an issuer this verifier does not trust.
    UntrustedIssuer,
    /// No key of the issuer matches the token's `kid` and `alg`.
    UnknownKey,
    /// The signature does not verify with the selected key.
    InvalidSignature,
    /// A required claim is absent.
    MissingClaim,
    /// A claim has the wrong JSON type or an impossible value.
    InvalidClaim,
    /// None of the token's audiences is one of ours.
    InvalidAudience,
    /// The token's `exp` has passed (beyond the leeway).
    Expired,
    /// The token's `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// The token's `iat` is in the future (beyond the leeway).
    IssuedInFuture,
    /// The token is older than the configured maximum age.
    TooOld,
    /// The token is sender-constrained (`cnf`) and cannot be used as a plain bearer token.
    SenderConstrained,
    /// The token lacks a scope the resource requires.
    InsufficientScope,
    /// The token lacks a role the resource requires.
    InsufficientRole,
    /// The method (a gRPC method, an MCP method) is not in the rule table of a service that
    /// is closed by default: no token may call it.
    UnlistedMethod,
    /// The token is valid but lacks a claim the resource needs, or a claim does not have the
    /// shape the resource expects (typed custom claims, claim rules).
    InsufficientClaims,
    /// The keys needed to verify the token could not be obtained and none are cached.
    KeySourceUnavailable,
    /// The authorization server's introspection endpoint could not answer (down, slow, an
    /// error, a malformed answer, or our own credentials refused): the token may be fine.
    IntrospectionUnavailable,
    /// The token is not active, by its authorization server's introspection answer.
    InactiveToken,
    /// The token was presented with the `DPoP` scheme but is not bound to a key (`cnf.jkt`).
    NotSenderConstrained,
    /// The DPoP proof's key is not the key the token is bound to (`cnf.jkt`).
    DpopKeyMismatch,
    /// The token is bound to a TLS client certificate (`cnf.x5t#S256`, RFC 8705) and the
    /// request came without one.
    ClientCertificateMissing,
    /// The request's TLS client certificate is not the one the token is bound to
    /// (`cnf.x5t#S256`, RFC 8705 section 3).
    ClientCertificateMismatch,
    /// The token was revoked: its subject logged out, its session ended, its client was
    /// disabled, or it was revoked by its `jti` ([`Verifier::revoke`](crate::Verifier::revoke)).
    TokenRevoked,
    /// The DPoP proof is missing, repeated, too large, or not one compact JWS with JSON
    /// header and payload.
    DpopProofMalformed,
    /// The DPoP proof's `typ` is not `dpop+jwt`.
    DpopProofType,
    /// The DPoP proof's `alg` is `none`, an HMAC, unknown, or not on the allowlist.
    DpopProofAlgorithm,
    /// The DPoP proof's `jwk` is missing, private, symmetric, or does not fit `alg`.
    DpopProofKey,
    /// The DPoP proof's signature does not verify with its `jwk`.
    DpopProofSignature,
    /// The DPoP proof's `htm` is not the request's method.
    DpopProofMethod,
    /// The DPoP proof's `htu` is not the request's URI.
    DpopProofUri,
    /// The DPoP proof's `iat` is outside the accepted window.
    DpopProofTime,
    /// The DPoP proof's `jti` is missing, too long, or was seen before.
    DpopProofReplayed,
    /// The DPoP proof's `ath` is missing or not the hash of the access token.
    DpopProofTokenHash,
    /// The server requires a DPoP nonce and the proof has none, or an invalid or stale one.
    DpopNonceRequired,
    /// The DPoP replay store cannot answer (full, or unreachable): the proof may be fine.
    ReplayStoreUnavailable,
    /// The authorization server refused a token exchange (`invalid_grant`, `invalid_target`,
    /// `invalid_scope`): the caller's token cannot have what the downstream call needs.
    TokenExchangeRefused,
    /// The token endpoint could not be reached, answered late, with `5xx`, or refused this
    /// API's credentials.
    TokenExchangeUnavailable,
    /// The user's authentication is not strong (`acr`) or recent (`auth_time`) enough for the
    /// resource (RFC 9470).
    InsufficientUserAuthentication,
    /// Key material could not be loaded (bad PEM, JWK or secret; unsupported key type).
    InvalidKey,
    /// The verifier or a policy was configured inconsistently.
    InvalidConfiguration,
}

/// The answer a resource server gives for an error (RFC 6750 section 3.1 plus the cases RFC
/// 6750 leaves to the server).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// `400` with `error="invalid_request"`.
    InvalidRequest,
    /// `401` with `error="invalid_token"`.
    InvalidToken,
    /// `403` with `error="insufficient_scope"`.
    InsufficientScope,
    /// `401` with `error="insufficient_user_authentication"` (RFC 9470): step up the login.
    InsufficientUserAuthentication,
    /// `401` with the DPoP challenge and `error="invalid_dpop_proof"` (RFC 9449 section 7.1).
    InvalidDpopProof,
    /// `401` with the DPoP challenge, `error="use_dpop_nonce"` and a `DPoP-Nonce` header.
    UseDpopNonce,
    /// `503`: the token may be fine, but its keys, its introspection or the replay store are
    /// out of reach.
    Unavailable,
    /// A programming or deployment error found at start-up, not a client error.
    Configuration,
}

impl ErrorClass {
    /// The `error` code of the challenge for this class (RFC 6750 section 3.1, RFC 9449 section
    /// 7.1), if it has one. The one table of codes.
    pub fn error_code(self) -> Option<&'static str> {
        match self {
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken => Some("invalid_token"),
            Self::InsufficientScope => Some("insufficient_scope"),
            Self::InsufficientUserAuthentication => Some("insufficient_user_authentication"),
            Self::InvalidDpopProof => Some("invalid_dpop_proof"),
            Self::UseDpopNonce => Some("use_dpop_nonce"),
            Self::Unavailable | Self::Configuration => None,
        }
    }
}

impl ErrorKind {
    /// The class of this kind, which decides the HTTP status and challenge.
    pub fn class(self) -> ErrorClass {
        match self {
            Self::InvalidRequest => ErrorClass::InvalidRequest,
            Self::InsufficientScope
            | Self::InsufficientRole
            | Self::UnlistedMethod
            | Self::InsufficientClaims
            | Self::TokenExchangeRefused => ErrorClass::InsufficientScope,
            Self::KeySourceUnavailable
            | Self::IntrospectionUnavailable
            | Self::ReplayStoreUnavailable
            | Self::TokenExchangeUnavailable => ErrorClass::Unavailable,
            Self::DpopProofMalformed
            | Self::DpopProofType
            | Self::DpopProofAlgorithm
            | Self::DpopProofKey
            | Self::DpopProofSignature
            | Self::DpopProofMethod
            | Self::DpopProofUri
            | Self::DpopProofTime
            | Self::DpopProofReplayed
            | Self::DpopProofTokenHash => ErrorClass::InvalidDpopProof,
            Self::DpopNonceRequired => ErrorClass::UseDpopNonce,
            Self::InsufficientUserAuthentication => ErrorClass::InsufficientUserAuthentication,
            Self::InvalidKey | Self::InvalidConfiguration => ErrorClass::Configuration,
            Self::TokenTooLarge
            | Self::MalformedToken
            | Self::UnsupportedHeader
            | Self::InvalidTokenType
            | Self::DisallowedAlgorithm
            | Self::UntrustedIssuer
            | Self::UnknownKey
            | Self::InvalidSignature
            | Self::MissingClaim
            | Self::InvalidClaim
            | Self::InvalidAudience
            | Self::Expired
            | Self::NotYetValid
            | Self::IssuedInFuture
            | Self::TooOld
            | Self::SenderConstrained
            | Self::InactiveToken
            | Self::NotSenderConstrained
            | Self::DpopKeyMismatch
            | Self::ClientCertificateMissing
            | Self::ClientCertificateMismatch
            | Self::TokenRevoked => ErrorClass::InvalidToken,
        }
    }
}

/// An error from parsing, verifying or authorizing a token, or from configuring a verifier.
///
/// The message never contains the token, a key, or a claim's value: it is safe to log and to
/// send to the client as an `error_description`.
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<BoxError>,
    /// For [`ErrorKind::InsufficientScope`]: what was required, so the `403` can name it.
    insufficient_scope: Option<Box<InsufficientScope>>,
}

impl Error {
    /// Creates an error of `kind` with a message.
    ///
    /// The message must not contain token contents or claim values; it is shown to clients.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self { kind, message: message.into(), source: None, insufficient_scope: None }
    }

    /// Attaches the underlying cause, reported through [`std::error::Error::source`].
    #[must_use]
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The class of the error, which decides the HTTP answer.
    pub fn class(&self) -> ErrorClass {
        self.kind.class()
    }

    /// The message, safe to show to a client as `error_description`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// For an [`ErrorKind::InsufficientScope`] error: the scopes that were required.
    pub fn insufficient_scope(&self) -> Option<&InsufficientScope> {
        self.insufficient_scope.as_deref()
    }

    pub(crate) fn with_insufficient_scope(mut self, detail: InsufficientScope) -> Self {
        self.insufficient_scope = Some(Box::new(detail));
        self
    }

    pub(crate) fn malformed(message: &'static str) -> Self {
        Self::new(ErrorKind::MalformedToken, message)
    }

    pub(crate) fn missing_claim(name: &str) -> Self {
        Self::new(ErrorKind::MissingClaim, format!("the token has no `{name}` claim"))
    }

    pub(crate) fn invalid_claim(name: &str, expected: &str) -> Self {
        Self::new(ErrorKind::InvalidClaim, format!("the `{name}` claim must be {expected}"))
    }

    pub(crate) fn config(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidConfiguration, message)
    }

    pub(crate) fn key(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidKey, message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Error");
        debug.field("kind", &self.kind).field("message", &self.message);
        if let Some(detail) = &self.insufficient_scope {
            debug.field("insufficient_scope", detail);
        }
        if let Some(source) = &self.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_failure_is_invalid_token() {
        for kind in [
            ErrorKind::TokenTooLarge,
            ErrorKind::MalformedToken,
            ErrorKind::DisallowedAlgorithm,
            ErrorKind::InvalidSignature,
            ErrorKind::Expired,
            ErrorKind::SenderConstrained,
        ] {
            assert_eq!(kind.class(), ErrorClass::InvalidToken, "{kind:?}");
        }
        assert_eq!(ErrorKind::InvalidRequest.class().error_code(), Some("invalid_request"));
        assert_eq!(ErrorKind::InsufficientRole.class().error_code(), Some("insufficient_scope"));
        assert_eq!(ErrorKind::KeySourceUnavailable.class(), ErrorClass::Unavailable);
        assert_eq!(ErrorClass::Unavailable.error_code(), None);
    }

    #[test]
    fn source_chain_is_kept() {
        let io = std::io::Error::other("connection reset");
        let error = Error::new(ErrorKind::KeySourceUnavailable, "the JWKS could not be fetched")
            .with_source(io);
        let source = error.source().map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("connection reset"));
    }
}
