//! [`IssuerPattern`]: the issuers of many tenants, described by one URL with a `{tenant}`
//! placeholder.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::algorithm::Algorithm;
use crate::claims::ClaimMapping;
use crate::error::Error;
use crate::scope::ScopePolicy;
use crate::verifier::TrustedIssuer;

/// The placeholder an [`IssuerPattern`] names the tenant with.
const PLACEHOLDER: &str = "{tenant}";

/// How Microsoft Entra ID writes the tenant in the `issuer` of its shared discovery documents
/// (`https://login.microsoftonline.com/{tenantid}/v2.0`).
pub(crate) const ENTRA_PLACEHOLDER: &str = "{tenantid}";

/// What a tenant's part of an issuer URL may be. Each format is a closed set of characters
/// without `/`, `.`, `:`, `@`, `?`, `#` or `%`, so a tenant can never move the URL to another
/// host or path: whatever a token's `iss` says, the URLs fetched stay inside the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TenantFormat {
    /// A GUID in lowercase hex, `8-4-4-4-12` (Microsoft Entra ID tenant ids).
    Guid,
    /// A DNS label: 1 to 63 lowercase letters, digits and inner hyphens (`acme`, `eu-1`).
    DnsLabel,
    /// 1 to 64 ASCII letters, digits, `-` and `_` (Keycloak realm or Auth0 tenant names).
    Name,
}

impl TenantFormat {
    /// Whether `tenant` is written in this format.
    pub fn accepts(self, tenant: &str) -> bool {
        let bytes = tenant.as_bytes();
        match self {
            Self::Guid => {
                bytes.len() == 36
                    && bytes.iter().enumerate().all(|(at, &byte)| match at {
                        8 | 13 | 18 | 23 => byte == b'-',
                        _ => byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte),
                    })
            }
            Self::DnsLabel => {
                let inner = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
                (1..=63).contains(&bytes.len())
                    && bytes.first().is_some_and(inner)
                    && bytes.last().is_some_and(inner)
                    && bytes.iter().all(|byte| inner(byte) || *byte == b'-')
            }
            Self::Name => {
                (1..=64).contains(&bytes.len())
                    && bytes.iter().all(|byte| byte.is_ascii_alphanumeric() || b"-_".contains(byte))
            }
        }
    }
}

/// The issuers of many tenants: every `iss` that is the pattern with `{tenant}` replaced by a
/// tenant written in the pattern's [`TenantFormat`] (and, with
/// [`only_tenants`](Self::only_tenants), one of those listed). Each such issuer is trusted with
/// the settings given here, and its keys are discovered from the issuer on first use.
///
/// The placeholder must be a whole path segment (`https://id.example.com/realms/{tenant}`) or
/// a whole leftmost host label (`https://{tenant}.eu.auth0.com/`, where the format must be
/// [`TenantFormat::DnsLabel`] or [`TenantFormat::Guid`]).
///
/// ```
/// use scopegate_core::{IssuerPattern, TenantFormat};
///
/// let entra = IssuerPattern::new("https://login.microsoftonline.com/{tenant}/v2.0")?
///     .format(TenantFormat::Guid)
///     .audience("api://orders")
///     .tenant_claim("tid");
/// let tenant = "9188040d-6c67-4c5b-b112-36a304b66dad";
/// assert_eq!(entra.tenant_of(&format!("https://login.microsoftonline.com/{tenant}/v2.0")), Some(tenant));
/// assert_eq!(entra.tenant_of("https://login.microsoftonline.com/common/v2.0"), None);
/// assert_eq!(entra.tenant_of("https://evil.example/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"), None);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct IssuerPattern {
    prefix: Box<str>,
    suffix: Box<str>,
    in_host: bool,
    format: TenantFormat,
    only: Option<Arc<BTreeSet<Box<str>>>>,
    settings: TrustedIssuer,
    tenant_claim: Option<Box<str>>,
    shared_discovery: Option<Box<str>>,
}

impl IssuerPattern {
    /// A pattern with one `{tenant}` placeholder; tenants are [`TenantFormat::Name`]s unless
    /// [`format`](Self::format) says otherwise.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) when the
    /// pattern has no placeholder or several, or the placeholder is not a whole path segment
    /// or leftmost host label.
    pub fn new(pattern: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::config(format!("the issuer pattern `{pattern}` {why}"));
        let (prefix, suffix) =
            pattern.split_once(PLACEHOLDER).ok_or_else(|| bad("has no `{tenant}` placeholder"))?;
        if suffix.contains(PLACEHOLDER) {
            return Err(bad("has more than one `{tenant}` placeholder"));
        }
        let Some((scheme, before)) = prefix.split_once("://") else {
            return Err(bad("is not an absolute URL with the placeholder after `://`"));
        };
        if scheme != "https" && scheme != "http" {
            return Err(bad("must be an https URL"));
        }
        let in_host = before.is_empty();
        let whole = if in_host {
            suffix.starts_with('.')
        } else {
            before.contains('/')
                && prefix.ends_with('/')
                && (suffix.is_empty() || suffix.starts_with('/'))
        };
        if !whole {
            return Err(bad(
                "must have the placeholder as a whole path segment or the leftmost host label",
            ));
        }
        if suffix.contains(['?', '#', '@']) || prefix.contains(['?', '#', '@']) {
            return Err(bad("must not have a query, a fragment or user information"));
        }
        Ok(Self {
            prefix: prefix.into(),
            suffix: suffix.into(),
            in_host,
            format: if in_host { TenantFormat::DnsLabel } else { TenantFormat::Name },
            only: None,
            settings: TrustedIssuer::new(pattern),
            tenant_claim: None,
            shared_discovery: None,
        })
    }

    /// How tenants are written in the pattern. A placeholder in the host takes only
    /// [`TenantFormat::DnsLabel`] or [`TenantFormat::Guid`] (checked when the verifier is
    /// built).
    pub fn format(mut self, format: TenantFormat) -> Self {
        self.format = format;
        self
    }

    /// Trusts only these tenants of the pattern (the customers signed up, say); any other
    /// tenant's tokens are refused before any network call.
    pub fn only_tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let tenants = tenants.into_iter().map(|tenant| tenant.into().into_boxed_str());
        self.only = Some(Arc::new(tenants.collect()));
        self
    }

    /// Accepts the tenants' tokens only when their `aud` includes `audience` (replacing any
    /// set before); without one, the verifier's audiences apply.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.settings = self.settings.audience(audience);
        self
    }

    /// Also accepts tokens whose `aud` includes `audience`.
    pub fn also_accept_audience(mut self, audience: impl Into<String>) -> Self {
        self.settings = self.settings.also_accept_audience(audience);
        self
    }

    /// Restricts the tenants' tokens to these algorithms.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.settings = self.settings.algorithms(algorithms);
        self
    }

    /// How the tenants' scope names match required scopes.
    pub fn scope_policy(mut self, policy: ScopePolicy) -> Self {
        self.settings = self.settings.scope_policy(policy);
        self
    }

    /// Where the tenants' tokens put scopes and roles.
    pub fn claim_mapping(mut self, mapping: ClaimMapping) -> Self {
        self.settings = self.settings.claim_mapping(mapping);
        self
    }

    /// Requires the claim `name` of every token to equal the tenant its `iss` names (Entra's
    /// `tid`): a second, signed statement of the tenant, for issuers whose tenants share keys.
    pub fn tenant_claim(mut self, name: impl Into<String>) -> Self {
        self.tenant_claim = Some(name.into().into_boxed_str());
        self
    }

    /// All tenants share one key set, found through the discovery document of `issuer_url`
    /// (Entra: `https://login.microsoftonline.com/common/v2.0`): one discovery and one JWKS
    /// for every tenant, instead of one per tenant. That document's `issuer` must be this
    /// pattern with `{tenantid}` (Entra's spelling) or `{tenant}` as the tenant. Tokens are
    /// still checked against their own tenant's issuer; add a
    /// [`tenant_claim`](Self::tenant_claim) where the provider has one.
    pub fn shared_discovery(mut self, issuer_url: impl Into<String>) -> Self {
        self.shared_discovery = Some(issuer_url.into().into_boxed_str());
        self
    }

    /// The tenant `issuer` names, when it fits the pattern (and the tenant list, if any).
    pub fn tenant_of<'i>(&self, issuer: &'i str) -> Option<&'i str> {
        let tenant = issuer.strip_prefix(&*self.prefix)?.strip_suffix(&*self.suffix)?;
        let listed = self.only.as_ref().is_none_or(|only| only.contains(tenant));
        (self.format.accepts(tenant) && listed).then_some(tenant)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        self.settings.name()
    }

    /// Checks what [`new`](Self::new) could not: the format against the placeholder's place.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.shared_discovery.is_some() && self.tenant_claim.is_none() {
            return Err(Error::config(format!(
                "the issuer pattern `{}` shares one key set among its tenants: name the claim that \
                 says the tenant with `tenant_claim` (Entra: `tid`)",
                self.as_str()
            )));
        }
        if self.in_host && self.format == TenantFormat::Name {
            return Err(Error::config(format!(
                "the issuer pattern `{}` has the tenant in the host: use TenantFormat::DnsLabel or Guid",
                self.as_str()
            )));
        }
        Ok(())
    }

    /// The settings of the tenant whose issuer is `issuer`.
    pub(crate) fn settings_for(&self, issuer: &str) -> TrustedIssuer {
        self.settings.renamed(issuer)
    }

    /// The issuer a shared discovery document names: the pattern with Entra's placeholder.
    pub(crate) fn shared_issuer(&self) -> String {
        format!("{}{ENTRA_PLACEHOLDER}{}", self.prefix, self.suffix)
    }

    /// An issuer of the pattern, with a tenant of its format: to check the URL it makes.
    pub(crate) fn example_issuer(&self) -> String {
        let tenant = match self.format {
            TenantFormat::Guid => "00000000-0000-0000-0000-000000000000",
            TenantFormat::DnsLabel | TenantFormat::Name => "tenant",
        };
        format!("{}{tenant}{}", self.prefix, self.suffix)
    }

    pub(crate) fn shared_discovery_url(&self) -> Option<&str> {
        self.shared_discovery.as_deref()
    }

    /// The tenants listed with [`only_tenants`](Self::only_tenants), if any.
    pub(crate) fn listed(&self) -> Option<&BTreeSet<Box<str>>> {
        self.only.as_deref()
    }

    pub(crate) fn tenant_claim_name(&self) -> Option<&str> {
        self.tenant_claim.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const GUID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

    #[test]
    fn formats_accept_exactly_their_characters() {
        assert!(TenantFormat::Guid.accepts(GUID));
        for bad in [
            "9188040D-6C67-4C5B-B112-36A304B66DAD",
            "9188040d-6c67-4c5b-b112-36a304b66da",
            "9188040d-6c67-4c5b-b112-36a304b66dadd",
            "9188040d_6c67-4c5b-b112-36a304b66dad",
            "9188040d-6c67-4c5b-b112-36a304b66daz",
            "9188040d-6c67-4c5b-b112-36a3/4b66dad",
        ] {
            assert!(!TenantFormat::Guid.accepts(bad), "{bad}");
        }
        for good in ["a", "acme", "eu-1", "0", &"a".repeat(63)] {
            assert!(TenantFormat::DnsLabel.accepts(good), "{good}");
        }
        for bad in ["", "-a", "a-", "Acme", "a.b", "a_b", "a/b", "a%2f", &"a".repeat(64)] {
            assert!(!TenantFormat::DnsLabel.accepts(bad), "{bad}");
        }
        for good in ["Acme_Corp-1", "a", &"a".repeat(64)] {
            assert!(TenantFormat::Name.accepts(good), "{good}");
        }
        for bad in ["", "a.b", "a/b", "a:b", "a@b", "a?b", "a#b", "a%b", "é", &"a".repeat(65)] {
            assert!(!TenantFormat::Name.accepts(bad), "{bad}");
        }
    }

    #[test]
    fn tenant_of_matches_the_whole_issuer() {
        let realms = IssuerPattern::new("https://id.example.com/realms/{tenant}").unwrap();
        assert_eq!(realms.tenant_of("https://id.example.com/realms/acme"), Some("acme"));
        for other in [
            "https://id.example.com/realms/",
            "https://id.example.com/realms/acme/",
            "https://id.example.com/realms/acme/x",
            "https://id.example.com/realms/a.b",
            "https://id.example.com.evil/realms/acme",
            "http://id.example.com/realms/acme",
            "https://id.example.com/realms/../admin",
        ] {
            assert_eq!(realms.tenant_of(other), None, "{other}");
        }
        let hosts = IssuerPattern::new("https://{tenant}.eu.auth0.com/").unwrap();
        assert_eq!(hosts.tenant_of("https://acme.eu.auth0.com/"), Some("acme"));
        assert_eq!(hosts.tenant_of("https://evil.com/x.eu.auth0.com/"), None);
        assert_eq!(hosts.tenant_of("https://a.evil.com#.eu.auth0.com/"), None);
        let listed = realms.only_tenants(["acme"]);
        assert_eq!(listed.tenant_of("https://id.example.com/realms/acme"), Some("acme"));
        assert_eq!(listed.tenant_of("https://id.example.com/realms/globex"), None);
    }

    #[test]
    fn placeholders_that_could_move_the_url_are_refused() {
        for bad in [
            "https://id.example.com/realms/a",
            "https://id.example.com/{tenant}/{tenant}",
            "https://id.example.com/realms-{tenant}",
            "https://id.example.com/realms/{tenant}x",
            "https://x{tenant}.example.com/",
            "https://{tenant}example.com/",
            "https://id.example.com:{tenant}/",
            "https://id.example.com/?t={tenant}",
            "https://user@id.example.com/{tenant}",
            "{tenant}://id.example.com/",
            "ftp://id.example.com/{tenant}",
            "https://id.example.com/realms/{tenant}?x",
        ] {
            let error = IssuerPattern::new(bad).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidConfiguration, "{bad}");
        }
        let host = IssuerPattern::new("https://{tenant}.example.com/").unwrap();
        assert!(host.check().is_ok());
        let error = host.format(TenantFormat::Name).check().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the issuer pattern `https://{tenant}.example.com/` has the tenant in the host: use TenantFormat::DnsLabel or Guid"
        );
    }

    #[test]
    fn shared_discovery_names_the_entra_template() {
        let entra = IssuerPattern::new("https://login.microsoftonline.com/{tenant}/v2.0")
            .unwrap()
            .format(TenantFormat::Guid)
            .shared_discovery("https://login.microsoftonline.com/common/v2.0");
        assert_eq!(entra.shared_issuer(), "https://login.microsoftonline.com/{tenantid}/v2.0");
        // Shared keys say nothing of the tenant: the tenant claim is required.
        assert_eq!(
            entra.check().unwrap_err().to_string(),
            "the issuer pattern `https://login.microsoftonline.com/{tenant}/v2.0` shares one key set among its tenants: name the claim that says the tenant with `tenant_claim` (Entra: `tid`)"
        );
        assert!(entra.clone().tenant_claim("tid").check().is_ok());
        assert_eq!(
            entra.example_issuer(),
            "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
        );
        assert_eq!(
            entra.settings_for(&format!("https://login.microsoftonline.com/{GUID}/v2.0")).name(),
            format!("https://login.microsoftonline.com/{GUID}/v2.0")
        );
    }
}
