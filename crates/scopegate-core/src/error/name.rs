//! The stable, snake_case name of each [`ErrorKind`]: what metrics labels and log fields carry.

use super::ErrorKind;

impl ErrorKind {
    /// The kind's name in snake_case (`"expired"`, `"invalid_signature"`): stable, for metrics
    /// labels and log fields.
    ///
    /// ```
    /// use scopegate_core::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::DpopProofReplayed.name(), "dpop_proof_replayed");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::TokenTooLarge => "token_too_large",
            Self::MalformedToken => "malformed_token",
            Self::UnsupportedHeader => "unsupported_header",
            Self::InvalidTokenType => "invalid_token_type",
            Self::DisallowedAlgorithm => "disallowed_algorithm",
            Self::UntrustedIssuer => "untrusted_issuer",
            Self::UnknownKey => "unknown_key",
            Self::InvalidSignature => "invalid_signature",
            Self::MissingClaim => "missing_claim",
            Self::InvalidClaim => "invalid_claim",
            Self::InvalidAudience => "invalid_audience",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::IssuedInFuture => "issued_in_future",
            Self::TooOld => "too_old",
            Self::SenderConstrained => "sender_constrained",
            Self::InsufficientScope => "insufficient_scope",
            Self::InsufficientRole => "insufficient_role",
            Self::UnlistedMethod => "unlisted_method",
            Self::InsufficientClaims => "insufficient_claims",
            Self::KeySourceUnavailable => "key_source_unavailable",
            Self::IntrospectionUnavailable => "introspection_unavailable",
            Self::InactiveToken => "inactive_token",
            Self::NotSenderConstrained => "not_sender_constrained",
            Self::DpopKeyMismatch => "dpop_key_mismatch",
            Self::ClientCertificateMissing => "client_certificate_missing",
            Self::ClientCertificateMismatch => "client_certificate_mismatch",
            Self::TokenRevoked => "token_revoked",
            Self::DpopProofMalformed => "dpop_proof_malformed",
            Self::DpopProofType => "dpop_proof_type",
            Self::DpopProofAlgorithm => "dpop_proof_algorithm",
            Self::DpopProofKey => "dpop_proof_key",
            Self::DpopProofSignature => "dpop_proof_signature",
            Self::DpopProofMethod => "dpop_proof_method",
            Self::DpopProofUri => "dpop_proof_uri",
            Self::DpopProofTime => "dpop_proof_time",
            Self::DpopProofReplayed => "dpop_proof_replayed",
            Self::DpopProofTokenHash => "dpop_proof_token_hash",
            Self::DpopNonceRequired => "dpop_nonce_required",
            Self::ReplayStoreUnavailable => "replay_store_unavailable",
            Self::TokenExchangeRefused => "token_exchange_refused",
            Self::TokenExchangeUnavailable => "token_exchange_unavailable",
            Self::InsufficientUserAuthentication => "insufficient_user_authentication",
            Self::InvalidKey => "invalid_key",
            Self::InvalidConfiguration => "invalid_configuration",
        }
    }
}
