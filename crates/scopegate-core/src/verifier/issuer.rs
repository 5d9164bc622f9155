//! One trusted issuer as the verifier holds it: audiences, algorithms, scope naming, claim
//! layout, and where its keys are.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::algorithm::AlgorithmSet;
use crate::claims::ClaimMapping;
use crate::key::store::KeyStore;
#[cfg(feature = "remote")]
use crate::remote::tasks::RemoteSource;
use crate::scope::ScopePolicy;

/// The trusted issuers by name. Hashed with foldhash (seeded per process), which costs about
/// a third of std's SipHash for an issuer URL: every verification looks its issuer up.
pub(crate) type Issuers = HashMap<Arc<str>, IssuerEntry, quick_cache::DefaultHashBuilder>;

pub(crate) struct IssuerEntry {
    pub(crate) issuer: Arc<str>,
    /// The tenant whose issuer this is, for tenants taken on at run time.
    pub(crate) tenant: Option<crate::claims::TenantMark>,
    pub(crate) audiences: Box<[Box<str>]>,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) keys: KeySource,
    /// How this issuer's scope names match required scopes.
    pub(crate) policy: Arc<ScopePolicy>,
    /// Where this issuer puts scopes and roles.
    pub(crate) mapping: ClaimMapping,
    /// AWS Cognito: the app clients whose access tokens are accepted, instead of `aud`.
    pub(crate) cognito_clients: Option<Box<[Box<str>]>>,
    /// The `aud` of its logout tokens and security events, when not its audiences.
    #[cfg(feature = "remote")]
    pub(crate) event_audience: Option<Box<str>>,
    /// How its opaque tokens (or all its tokens) are introspected, if they are.
    #[cfg(feature = "remote")]
    pub(crate) introspection: Option<Arc<super::introspect::IntrospectionState>>,
    /// How its tokens are exchanged for downstream ones (RFC 8693), if they are.
    #[cfg(feature = "remote")]
    pub(crate) exchange: Option<Arc<super::exchange::ExchangeState>>,
}

pub(crate) enum KeySource {
    /// Keys given at build time (shared with the check of signed introspection answers).
    Static(Arc<KeyStore>),
    /// A JWKS fetched from the issuer.
    #[cfg(feature = "remote")]
    Remote(Arc<RemoteSource>),
}

impl fmt::Debug for IssuerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Issuer");
        debug
            .field("iss", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms.iter().collect::<Vec<_>>())
            .field("scope_policy", &self.policy);
        match &self.keys {
            KeySource::Static(store) => debug.field("keys", store),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => debug.field("keys", &remote.keys().stats().key_ids),
        };
        debug.finish()
    }
}
