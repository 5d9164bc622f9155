//! Verification that must wait: for the tenant resolver, for an issuer's keys, or both (a new
//! tenant is resolved, then its keys are fetched).

use std::future::Future;

use super::pipeline::{self, Halt};
use super::{Verifier, not_available, unavailable};
use crate::claims::Claims;
use crate::error::Error;
use crate::remote::tasks::demand;

/// A token whose verification waits, with the tenant its request names.
pub(super) struct Later {
    pub(super) verifier: Verifier,
    pub(super) token: String,
    pub(super) tenant: Option<Box<str>>,
}

impl Later {
    /// Finishes what `halt` stopped. A fetch starts now, before the future is first polled:
    /// it runs in its own task, so dropping the future (a client that went away) stops the
    /// wait, never the fetch.
    pub(super) fn finish(self, halt: Halt) -> impl Future<Output = Result<Claims, Error>> + Send {
        let fetch = match &halt {
            Halt::Fetch(keys, generation) => Some(demand(keys, *generation)),
            Halt::Error(_) | Halt::Resolve(_) => None,
        };
        async move {
            match (halt, fetch) {
                (_, Some(fetched)) => self.after_fetch(fetched).await,
                (Halt::Resolve(issuer), None) => self.after_resolving(&issuer).await,
                (Halt::Error(error), None) => Err(error),
                (Halt::Fetch(..), None) => Err(not_available()),
            }
        }
    }

    /// The resolver's answer is filed; verify again, fetching the tenant's keys if needed.
    async fn after_resolving(self, issuer: &str) -> Result<Claims, Error> {
        let tenants = self.verifier.inner.tenants.clone().ok_or_else(not_available)?;
        tenants.resolve(issuer).await?;
        match self.verifier.cached_or_verified(&self.token, true, self.tenant.as_deref()) {
            Ok(claims) => Ok(claims),
            Err(Halt::Error(error)) => Err(error),
            Err(Halt::Fetch(keys, generation)) => {
                let fetched = demand(&keys, generation);
                self.after_fetch(fetched).await
            }
            Err(Halt::Resolve(_)) => Err(not_available()),
        }
    }

    async fn after_fetch(
        self,
        fetched: impl Future<Output = Result<(), Error>> + Send,
    ) -> Result<Claims, Error> {
        if let Err(error) = fetched.await {
            self.tenant_failed();
            return Err(unavailable(error));
        }
        match self.verifier.cached_or_verified(&self.token, false, self.tenant.as_deref()) {
            Ok(claims) => Ok(claims),
            Err(Halt::Error(error)) => Err(error),
            Err(Halt::Fetch(..) | Halt::Resolve(_)) => Err(not_available()),
        }
    }

    /// The keys of the token's issuer could not be fetched: a tenant on probation is dropped
    /// and its failure remembered.
    fn tenant_failed(&self) {
        if let Some(tenants) = &self.verifier.inner.tenants
            && let Some(issuer) = pipeline::unverified_issuer(&self.token)
        {
            tenants.failed(&issuer);
        }
    }
}
