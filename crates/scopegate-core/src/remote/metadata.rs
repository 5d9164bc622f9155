//! One issuer's discovered metadata, fetched once and shared by its key set, its
//! introspection and its token exchange.

use std::sync::{Arc, Mutex, PoisonError};

use super::client::HttpClient;
use super::discovery::{Discovered, discover};
use super::settings::RemoteSettings;
use crate::error::Error;

pub(crate) struct IssuerMetadata {
    issuer: Box<str>,
    /// What the document's `issuer` may be: the issuer itself, or the templates a document
    /// shared by many tenants names (Entra's `https://login.microsoftonline.com/{tenantid}/v2.0`).
    accepted: Box<[Box<str>]>,
    /// Whether every endpoint the document names must be on the issuer's own origin (a
    /// tenant's document: the tenant, not the operator, controls it).
    confined: bool,
    settings: RemoteSettings,
    client: Arc<dyn HttpClient>,
    cached: Mutex<Option<Arc<Discovered>>>,
    /// One discovery at a time; later callers find the cached document.
    fetching: tokio::sync::Mutex<()>,
}

impl IssuerMetadata {
    pub(crate) fn new(issuer: &str, settings: RemoteSettings, client: Arc<dyn HttpClient>) -> Self {
        Self::accepting(issuer, vec![issuer.to_owned()], settings, client)
    }

    /// The document of `issuer`, whose own `issuer` member may be any of `accepted`.
    pub(crate) fn accepting(
        issuer: &str,
        accepted: Vec<String>,
        settings: RemoteSettings,
        client: Arc<dyn HttpClient>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            accepted: accepted.into_iter().map(String::into_boxed_str).collect(),
            confined: false,
            settings,
            client,
            cached: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// Refuses documents that name endpoints on another origin than the issuer's: for
    /// tenants, whose discovery documents the operator does not control.
    pub(crate) fn confined(mut self, confined: bool) -> Self {
        self.confined = confined;
        self
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
        let document =
            discover(&self.issuer, &self.accepted, &self.settings, &*self.client).await?;
        if self.confined {
            super::location::same_origin(&self.issuer, &document)?;
        }
        let document = Arc::new(document);
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
