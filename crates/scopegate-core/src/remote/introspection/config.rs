//! [`Introspection`]: how one issuer's opaque tokens are introspected (RFC 7662).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::shared::{SharedAnswerCache, SharedAnswers};
use crate::seal::SealingKey;

/// Default lifetime of a cached `active: true` answer (never past the token's `exp`).
pub const DEFAULT_INTROSPECTION_CACHE: Duration = Duration::from_secs(60);
/// Default lifetime of a cached `active: false` answer.
pub const DEFAULT_INACTIVE_CACHE: Duration = Duration::from_secs(10);
/// Default number of introspection calls under way at once, per issuer.
pub const DEFAULT_MAX_CONCURRENT_INTROSPECTIONS: usize = 32;

/// How this API authenticates to the introspection endpoint (RFC 6749 section 2.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuthentication {
    /// HTTP Basic with the form-encoded id and secret (`client_secret_basic`). The default.
    #[default]
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    Post,
}

/// Token introspection (RFC 7662) for one issuer: for APIs that receive opaque tokens
/// (reference tokens, phantom tokens), or that must see revocation at once.
///
/// The endpoint is the issuer's: given with [`endpoint`](Self::endpoint), or the
/// `introspection_endpoint` of its discovery document. A token is only ever sent to the
/// endpoint of the issuer it is checked for. Answers become the same [`Claims`](crate::Claims)
/// a JWT gives, under the same rules (`iss`, `aud`, `exp`, `nbf`, `iat`, `cnf`, scopes and roles
/// through the issuer's claim mapping), and are cached by the SHA-256 of the token: active
/// ones until the earlier of `exp` and [`cache_for`](Self::cache_for), inactive ones for
/// [`inactive_cache_for`](Self::inactive_cache_for), each in a bounded cache of its own.
///
/// ```
/// use std::time::Duration;
/// use scopegate_core::remote::Introspection;
///
/// let introspection = Introspection::new("orders-api", "s3cr3t")
///     .cache_for(Duration::from_secs(30));
/// assert_eq!(
///     format!("{introspection:?}"),
///     r#"Introspection { client_id: "orders-api", client_secret: "[redacted]", authentication: Basic, endpoint: None, every_token: false, allow_missing_audience: false, signed_answers: false, cache_for: 30s, inactive_cache_for: 10s, shared_cache: false }"#
/// );
/// ```
#[derive(Clone)]
#[must_use]
pub struct Introspection {
    pub(crate) client_id: String,
    pub(crate) client_secret: Zeroizing<String>,
    pub(crate) authentication: ClientAuthentication,
    pub(crate) endpoint: Option<String>,
    pub(crate) every_token: bool,
    pub(crate) allow_missing_audience: bool,
    pub(crate) signed_answers: bool,
    pub(crate) cache_for: Duration,
    pub(crate) inactive_cache_for: Duration,
    pub(crate) cache_entries: usize,
    pub(crate) max_concurrent: usize,
    pub(crate) shared: Option<SharedAnswers>,
}

impl Introspection {
    /// Introspects with this API's client credentials at the authorization server.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            authentication: ClientAuthentication::Basic,
            endpoint: None,
            every_token: false,
            allow_missing_audience: false,
            signed_answers: false,
            cache_for: DEFAULT_INTROSPECTION_CACHE,
            inactive_cache_for: DEFAULT_INACTIVE_CACHE,
            cache_entries: 10_000,
            max_concurrent: DEFAULT_MAX_CONCURRENT_INTROSPECTIONS,
            shared: None,
        }
    }

    /// How the credentials are sent. Defaults to [`ClientAuthentication::Basic`].
    pub fn authentication(mut self, authentication: ClientAuthentication) -> Self {
        self.authentication = authentication;
        self
    }

    /// The introspection endpoint, instead of the discovery document's.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Introspects every token of this issuer, JWTs included, so that revocation is seen
    /// within the cache time. Off by default: JWTs are verified locally and only opaque tokens
    /// are introspected.
    pub fn every_token(mut self, every: bool) -> Self {
        self.every_token = every;
        self
    }

    /// Accepts active tokens whose answer carries no `aud` (RFC 7662 makes it optional). Off by
    /// default: an answer must name this API's audience, as a JWT must.
    pub fn allow_missing_audience(mut self, allow: bool) -> Self {
        self.allow_missing_audience = allow;
        self
    }

    /// Asks for signed answers (RFC 9701: `Accept: application/token-introspection+jwt`) and
    /// accepts no other: each answer must be a JWT of type `token-introspection+jwt`, signed
    /// by the issuer's keys (those its tokens are verified with), whose `iss` is the issuer,
    /// whose `aud` names this API's client id, and whose `iat` is at most a minute old (plus
    /// the leeway). An answer that is unsigned, or fails any of these, is not used: the
    /// request is answered `503` (the token may be fine; the answer cannot be trusted). Off by
    /// default.
    pub fn signed_answers(mut self, signed: bool) -> Self {
        self.signed_answers = signed;
        self
    }

    /// The longest an `active: true` answer is reused; never past the token's `exp`. Defaults
    /// to 60 seconds; zero turns the cache off (every request asks).
    pub fn cache_for(mut self, duration: Duration) -> Self {
        self.cache_for = duration;
        self
    }

    /// How long an `active: false` answer is reused, so that a flood of bad tokens costs one
    /// call per token per window. Defaults to 10 seconds.
    pub fn inactive_cache_for(mut self, duration: Duration) -> Self {
        self.inactive_cache_for = duration;
        self
    }

    /// The most answers each cache (active, inactive) holds. Defaults to 10,000.
    pub fn cache_entries(mut self, entries: usize) -> Self {
        self.cache_entries = entries.max(1);
        self
    }

    /// The most calls under way at once. A new token that finds them all busy is refused at
    /// once (`503`, `Retry-After`) rather than queued behind them: a flood of made-up tokens
    /// against a slow authorization server cannot pile up work, and tokens already cached are
    /// not affected. Defaults to 32.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent = calls.max(1);
        self
    }

    /// Shares answers with the other replicas through `cache` (Redis, with `scopegate-redis`),
    /// under the in-process caches: a replica asks the authorization server only when neither
    /// has the answer. Entries live as the in-process ones do (active ones never past `exp`).
    ///
    /// Every value is sealed with `key` (give every replica the same secret) and stored under
    /// a key that names this issuer, introspection endpoint and client id as well as the token;
    /// a value whose seal does not open (written by anything but a replica of this API) is
    /// ignored and counted
    /// ([`IntrospectionStats::shared_rejected`](crate::verifier::IntrospectionStats)).
    pub fn shared_cache(mut self, cache: impl SharedAnswerCache, key: SealingKey) -> Self {
        self.shared = Some(SharedAnswers { cache: Arc::new(cache), key });
        self
    }
}

/// Never prints the secret.
impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("authentication", &self.authentication)
            .field("endpoint", &self.endpoint)
            .field("every_token", &self.every_token)
            .field("allow_missing_audience", &self.allow_missing_audience)
            .field("signed_answers", &self.signed_answers)
            .field("cache_for", &self.cache_for)
            .field("inactive_cache_for", &self.inactive_cache_for)
            .field("shared_cache", &self.shared.is_some())
            .finish()
    }
}
