//! The tenant resolver, asked once per issuer however many requests wait, and its answers
//! filed: a tenant on probation, an unknown issuer remembered, or a failure remembered.

use std::sync::Arc;

use super::{Source, TOO_MANY_NEW, TenantDirectory, TenantEntry, unavailable};
use crate::error::Error;
use crate::flight::{Failed, Refused};

/// Why a resolver call gave no tenant, as every request waiting on it learns.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rejected {
    /// No tenant has the issuer: `401`.
    Unknown,
    /// The tenants could not be looked up: `503`.
    Unavailable(&'static str),
}

impl TenantDirectory {
    /// Asks the resolver about `issuer` (once, however many requests wait), and files its
    /// answer: a tenant on probation, an unknown issuer, or a failure.
    pub(crate) async fn resolve(self: &Arc<Self>, issuer: &str) -> Result<(), Error> {
        let Source::Resolver(resolver) = &self.source else { return Ok(()) };
        let key: Arc<str> = issuer.into();
        let (directory, resolver, asked) =
            (Arc::clone(self), Arc::clone(resolver), Arc::clone(&key));
        // Only a call that starts is admitted: requests that join it cost nothing more.
        let started = self.resolving.join_or_start(&key, move || {
            let admitted = directory.admit(&asked);
            async move {
                admitted.map_err(|()| Rejected::Unavailable(TOO_MANY_NEW))?;
                let answer = resolver.resolve_boxed(&asked).await;
                directory.file_answer(&asked, answer)
            }
        });
        match started {
            Ok(flight) => match flight.outcome().await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(Rejected::Unknown)) => Err(self.untrusted()),
                Ok(Err(Rejected::Unavailable(message))) => Err(unavailable(message)),
                Err(Failed::TimedOut) => {
                    self.remember(&key, true);
                    Err(unavailable("the tenants could not be looked up in time"))
                }
                Err(Failed::Stopped) => Err(unavailable("the tenant lookup was stopped")),
            },
            Err(Refused::Saturated) => Err(unavailable("too many tenant lookups at once")),
            Err(Refused::NoRuntime) => Err(unavailable("tenant lookups need a Tokio runtime")),
        }
    }

    fn file_answer(
        &self,
        issuer: &Arc<str>,
        answer: Result<Option<crate::verifier::tenant::Tenant>, Error>,
    ) -> Result<(), Rejected> {
        let failed = |message| {
            self.remember(issuer, true);
            Err(Rejected::Unavailable(message))
        };
        match answer {
            Ok(Some(tenant)) if tenant.issuer.name() == &**issuer => {
                let trusted = match self.defaults.tenant_entry(&tenant.id, &tenant.issuer, None) {
                    Ok(trusted) => trusted,
                    Err(error) => {
                        tracing::warn!(%error, "the tenant resolver answered unusable settings");
                        return failed("the tenant's settings are unusable");
                    }
                };
                let entry = TenantEntry {
                    tenant: tenant.id.as_str().into(),
                    issuer: trusted,
                    tenant_claim: None,
                };
                Self::put_on_probation(&mut self.probation(), entry);
                Ok(())
            }
            Ok(Some(_)) => {
                tracing::warn!("the tenant resolver answered a tenant of another issuer");
                failed("the tenant resolver answered a tenant of another issuer")
            }
            Ok(None) => {
                self.remember(issuer, false);
                Err(Rejected::Unknown)
            }
            Err(error) => {
                tracing::warn!(%error, "the tenant resolver failed");
                failed("the tenants could not be looked up")
            }
        }
    }
}
