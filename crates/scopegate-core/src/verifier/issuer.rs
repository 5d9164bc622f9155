//! One trusted issuer as the verifier holds it: audiences, algorithms, and where its keys are.

use std::fmt;
use std::sync::Arc;

use crate::algorithms::AlgorithmSet;
use crate::key::store::KeyStore;
#[cfg(feature = "remote")]
use crate::remote::keys::RemoteKeys;

pub(crate) struct IssuerEntry {
    pub(crate) issuer: Arc<str>,
    pub(crate) audiences: Box<[Box<str>]>,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) keys: KeySource,
}

pub(crate) enum KeySource {
    /// Keys given at build time.
    Static(KeyStore),
    /// A JWKS fetched from the issuer.
    #[cfg(feature = "remote")]
    Remote(Arc<RemoteKeys>),
}

impl fmt::Debug for IssuerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Issuer");
        debug
            .field("iss", &self.issuer)
            .field("audiences", &self.audiences)
            .field("algorithms", &self.algorithms.iter().collect::<Vec<_>>());
        match &self.keys {
            KeySource::Static(store) => debug.field("keys", store),
            #[cfg(feature = "remote")]
            KeySource::Remote(remote) => debug.field("keys", &remote.stats().key_ids),
        };
        debug.finish()
    }
}
