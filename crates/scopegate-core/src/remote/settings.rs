//! How remote key sets are fetched and cached: one set of settings per verifier, configured on
//! the builder and shared by every remote key set.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::client::HttpClient;
use crate::error::Error;

/// Default timeout of one fetch (connect, request and body).
pub const DEFAULT_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default pause between refetches caused by unknown `kid`s or missing keys.
pub const DEFAULT_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// Default lifetime of a key set whose response has no usable `Cache-Control: max-age`.
pub const DEFAULT_KEYS_TTL: Duration = Duration::from_secs(600);
/// Default bounds that `max-age` is clamped to.
pub const DEFAULT_TTL_BOUNDS: (Duration, Duration) =
    (Duration::from_secs(60), Duration::from_secs(24 * 3600));

#[derive(Clone)]
pub(crate) struct RemoteSettings {
    /// `None` until the builder resolves the default client (feature `https-client`).
    pub(crate) client: Option<Arc<dyn HttpClient>>,
    pub(crate) timeout: Duration,
    pub(crate) cooldown: Duration,
    pub(crate) default_ttl: Duration,
    pub(crate) ttl_bounds: (Duration, Duration),
    pub(crate) allow_http: bool,
    pub(crate) lazy: bool,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        Self {
            client: None,
            timeout: DEFAULT_FETCH_TIMEOUT,
            cooldown: DEFAULT_REFETCH_COOLDOWN,
            default_ttl: DEFAULT_KEYS_TTL,
            ttl_bounds: DEFAULT_TTL_BOUNDS,
            allow_http: false,
            lazy: false,
        }
    }
}

impl RemoteSettings {
    /// The lifetime to give a key set fetched with `max_age`.
    pub(crate) fn ttl(&self, max_age: Option<Duration>) -> Duration {
        let (min, max) = self.ttl_bounds;
        max_age.unwrap_or(self.default_ttl).clamp(min, max.max(min))
    }

    /// The configured client, or the default one when the `https-client` feature is on.
    pub(crate) fn resolve_client(&mut self) {
        #[cfg(feature = "https-client")]
        if self.client.is_none() {
            self.client = Some(Arc::new(super::HttpsClient::new()));
        }
    }

    /// The client, once resolved.
    ///
    /// # Errors
    ///
    /// A configuration error naming `issuer` when there is none.
    pub(crate) fn client_for(&self, issuer: &str) -> Result<Arc<dyn HttpClient>, Error> {
        self.client.clone().ok_or_else(|| {
            Error::config(format!(
                "the issuer {issuer} fetches its keys, but no HTTP client is configured: enable \
                 the `https-client` feature or call `http_client(...)`"
            ))
        })
    }
}

impl fmt::Debug for RemoteSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteSettings")
            .field("timeout", &self.timeout)
            .field("cooldown", &self.cooldown)
            .field("default_ttl", &self.default_ttl)
            .field("ttl_bounds", &self.ttl_bounds)
            .field("allow_http", &self.allow_http)
            .field("lazy", &self.lazy)
            .finish_non_exhaustive()
    }
}
