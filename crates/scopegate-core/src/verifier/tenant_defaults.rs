//! [`OwnedDefaults`]: what the verifier gives the tenants it takes on after it is built, and
//! how a tenant's settings become an issuer entry (its discovery confined to its origin, its
//! key set its own or its pattern's).

use std::sync::Arc;

use super::issuer::IssuerEntry;
use super::trusted::{Defaults, TrustedIssuer};
use crate::algorithm::AlgorithmSet;
use crate::claims::ClaimMapping;
use crate::clock::Clock;
use crate::error::Error;
use crate::remote::metadata::IssuerMetadata;
use crate::remote::{checked_uri, keys::RemoteKeys, settings::RemoteSettings, tasks::RemoteSource};
use crate::scope::ScopePolicy;

/// [`Defaults`] kept by the verifier, for the tenants it takes on after it is built.
pub(crate) struct OwnedDefaults {
    audiences: Vec<String>,
    algorithms: Option<AlgorithmSet>,
    policy: ScopePolicy,
    mapping: ClaimMapping,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) remote: RemoteSettings,
    leeway: u64,
}

impl OwnedDefaults {
    pub(crate) fn of(defaults: &Defaults<'_>) -> Self {
        Self {
            audiences: defaults.audiences.to_vec(),
            algorithms: defaults.algorithms,
            policy: defaults.policy.clone(),
            mapping: defaults.mapping.clone(),
            clock: Arc::clone(defaults.clock),
            remote: defaults.remote.clone(),
            leeway: defaults.leeway,
        }
    }

    fn view(&self) -> Defaults<'_> {
        Defaults {
            audiences: &self.audiences,
            algorithms: self.algorithms,
            policy: &self.policy,
            mapping: &self.mapping,
            clock: &self.clock,
            remote: &self.remote,
            leeway: self.leeway,
            confined: true,
        }
    }

    /// The entry of `tenant`, trusted with `settings`, its keys `shared` with the other
    /// tenants of its pattern or its own.
    pub(crate) fn tenant_entry(
        &self,
        tenant: &str,
        settings: &TrustedIssuer,
        shared: Option<Arc<RemoteSource>>,
    ) -> Result<IssuerEntry, Error> {
        if settings.introspection.is_some() || settings.exchange.is_some() {
            return Err(Error::config(
                "introspection and token exchange are not available for tenants; configure them on a trusted issuer",
            ));
        }
        let mut entry = settings.entry_sharing(&self.view(), shared)?;
        let live = Arc::new(std::sync::atomic::AtomicBool::new(false));
        entry.tenant = Some(crate::claims::TenantMark { name: tenant.into(), live });
        Ok(entry)
    }

    /// Checks a pattern's URLs with one tenant, and makes the key set its tenants share.
    pub(crate) fn shared_keys(
        &self,
        pattern: &crate::verifier::tenant::IssuerPattern,
    ) -> Result<Option<RemoteSource>, Error> {
        let settings = pattern.settings_for(&pattern.example_issuer());
        checked_uri(settings.name(), self.remote.allow_http, "issuer pattern")?;
        let Some(url) = pattern.shared_discovery_url() else { return Ok(None) };
        checked_uri(url, self.remote.allow_http, "shared discovery URL")?;
        let client = self.remote.client_for(url)?;
        let accepted = vec![pattern.shared_issuer(), pattern.as_str().to_owned()];
        let metadata =
            IssuerMetadata::accepting(url, accepted, self.remote.clone(), Arc::clone(&client))
                .confined(true);
        let keys = RemoteKeys::new(
            url,
            None,
            Arc::new(metadata),
            self.remote.clone(),
            client,
            settings.allowed_algorithms(self.algorithms)?,
            Arc::clone(&self.clock),
        );
        Ok(Some(RemoteSource::new(keys.of_tenant())))
    }
}
