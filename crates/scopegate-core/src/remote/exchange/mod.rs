//! Token exchange (RFC 8693): trading the caller's access token for one meant for a downstream
//! API, with only the scopes that API needs, for the same user and never for longer.
//!
//! Configure it per issuer ([`VerifierBuilder::token_exchange`](crate::VerifierBuilder::token_exchange)),
//! then call [`Verifier::exchange`](crate::Verifier::exchange) in a handler:
//!
//! ```no_run
//! use scopegate_core::Verifier;
//! use scopegate_core::remote::{ExchangeRequest, TokenExchange};
//!
//! # async fn run(caller_token: &str) -> Result<(), scopegate_core::Error> {
//! let verifier = Verifier::builder()
//!     .issuer("https://id.example.com")
//!     .audience("orders-api")
//!     .token_exchange(TokenExchange::new("orders-api", "s3cr3t"))
//!     .build()
//!     .await?;
//! let shipping = ExchangeRequest::audience("shipping-api").scopes(["shipping.write"]);
//! let token = verifier.exchange(caller_token, &shipping).await?;
//! // Call the shipping API with `Authorization: Bearer {token.access_token()}`.
//! # let _ = token;
//! # Ok(())
//! # }
//! ```
//!
//! Exchanged tokens are cached per caller token, target and scopes until shortly before they
//! expire (and never past the caller's token); concurrent requests for the same exchange make
//! one call; the cache is bounded. The authorization server's refusals (`invalid_grant`,
//! `invalid_target`, `invalid_scope`) become [`ErrorKind::TokenExchangeRefused`](crate::ErrorKind::TokenExchangeRefused)
//! (a `403` if passed to a scopegate responder); timeouts, `5xx` and refused credentials become
//! [`ErrorKind::TokenExchangeUnavailable`](crate::ErrorKind::TokenExchangeUnavailable) (`503`).

mod call;

pub(crate) use call::Exchanger;

use std::fmt;
use std::time::Duration;

use zeroize::Zeroizing;

use super::introspection::ClientAuthentication;

/// `grant_type` of RFC 8693.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// `subject_token_type` and `requested_token_type` for access tokens (RFC 8693 section 3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Default margin before `expires_in` at which a cached exchanged token is renewed.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(30);
/// The largest token endpoint answer read.
pub const MAX_EXCHANGE_RESPONSE_BYTES: usize = 64 * 1024;

/// Token exchange with this API's client credentials at its issuer's token endpoint (given,
/// or `token_endpoint` from discovery). Secrets are zeroized and never printed.
#[derive(Clone)]
#[must_use]
pub struct TokenExchange {
    pub(crate) client_id: String,
    pub(crate) client_secret: Zeroizing<String>,
    pub(crate) authentication: ClientAuthentication,
    pub(crate) endpoint: Option<String>,
    pub(crate) renew_before: Duration,
    pub(crate) cache_entries: usize,
    pub(crate) max_concurrent: usize,
}

impl TokenExchange {
    /// Exchanges with these client credentials (`client_secret_basic` by default).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: Zeroizing::new(client_secret.into()),
            authentication: ClientAuthentication::Basic,
            endpoint: None,
            renew_before: DEFAULT_RENEW_BEFORE,
            cache_entries: 10_000,
            max_concurrent: 32,
        }
    }

    /// How the credentials are sent.
    pub fn authentication(mut self, authentication: ClientAuthentication) -> Self {
        self.authentication = authentication;
        self
    }

    /// The token endpoint, instead of the discovery document's.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// How long before `expires_in` a cached exchanged token is renewed. Defaults to 30 s.
    pub fn renew_before(mut self, margin: Duration) -> Self {
        self.renew_before = margin;
        self
    }

    /// The most exchanged tokens cached. Defaults to 10,000.
    pub fn cache_entries(mut self, entries: usize) -> Self {
        self.cache_entries = entries.max(1);
        self
    }

    /// The most exchanges under way at once. Defaults to 32.
    pub fn max_concurrent_calls(mut self, calls: usize) -> Self {
        self.max_concurrent = calls.max(1);
        self
    }
}

impl fmt::Debug for TokenExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenExchange")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("authentication", &self.authentication)
            .field("endpoint", &self.endpoint)
            .field("renew_before", &self.renew_before)
            .finish_non_exhaustive()
    }
}

/// What to exchange the caller's token for: a downstream `audience` (a logical name) and/or
/// `resource` (a URI, RFC 8707), and the `scope` it needs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[must_use]
pub struct ExchangeRequest {
    pub(crate) audience: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) scopes: Vec<String>,
}

impl ExchangeRequest {
    /// A token for the API known to the authorization server as `audience`.
    pub fn audience(audience: impl Into<String>) -> Self {
        Self { audience: Some(audience.into()), ..Self::default() }
    }

    /// A token for the API at `resource` (an absolute URI).
    pub fn resource(resource: impl Into<String>) -> Self {
        Self { resource: Some(resource.into()), ..Self::default() }
    }

    /// With these scopes only (sent space-separated as `scope`).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }
}

/// A token the authorization server issued for a downstream API. `Debug` never shows the
/// token.
#[derive(Clone)]
pub struct ExchangedToken {
    pub(crate) access_token: std::sync::Arc<Zeroizing<String>>,
    pub(crate) token_type: String,
    pub(crate) scope: Option<String>,
    pub(crate) expires_at: u64,
}

impl ExchangedToken {
    /// The token to send downstream.
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    /// `token_type` (`Bearer`, or `N_A` for tokens that are not access tokens).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The scopes granted, when the answer says (else those requested).
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// When it expires, in seconds since the epoch (from `expires_in`, and never after the
    /// caller's token).
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

impl fmt::Debug for ExchangedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangedToken")
            .field("access_token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}
