//! One issuer's discovered metadata, fetched once and shared by its key set, its
//! introspection and its token exchange.

use std::sync::{Arc, Mutex, PoisonError};

use super::client::HttpClient;
use super::discovery::{Discovered, discover};
use super::settings::RemoteSettings;
use crate::error::Error;

pub(crate) struct IssuerMetadata {
    issuer: Box<str>,
    settings: RemoteSettings,
    client: Arc<dyn HttpClient>,
    cached: Mutex<Option<Arc<Discovered>>>,
    /// One discovery at a time; later callers find the cached document.
    fetching: tokio::sync::Mutex<()>,
}

impl IssuerMetadata {
    pub(crate) fn new(issuer: &str, settings: RemoteSettings, client: Arc<dyn HttpClient>) -> Self {
        Self {
            issuer: issuer.into(),
            settings,
            client,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The document, fetched on first use.
    ///
    /// # Errors
    ///
    /// As discovery: unavailable, or a document naming another issuer.
    pub(crate) async fn get(&self) -> Result<Arc<Discovered>, Error> {
        if let Some(document) = self.cached() {
            return Ok(document);
        }
        let _fetching = self.fetching.lock().await;
        if let Some(document) = self.cached() {
            return Ok(document);
        }
        let document = Arc::new(discover(&self.issuer, &self.settings, &*self.client).await?);
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&document));
        Ok(document)
    }

    /// The document if it was fetched.
    pub(crate) fn cached(&self) -> Option<Arc<Discovered>> {
        self.cached.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Forgets the document: an endpoint it named moved, discover again next time.
    pub(crate) fn forget(&self) {
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}
