//! Protected-resource metadata (RFC 9728): who this API is, which authorization servers issue
//! its tokens, which scopes it knows. Clients (MCP clients among them) read it to learn where to
//! get a token; every `401` and `403` points to it through `resource_metadata`.
//!
//! ```
//! use scopegate_core::{ProtectedResource, Verifier};
//!
//! # let issuer = scopegate_testkit::TestIssuer::named("https://id.example.com");
//! let resource = ProtectedResource::new("https://api.example.com/mcp")?
//!     .scopes_supported(["orders.read", "orders.write"])?
//!     .resource_name("Orders MCP server");
//! let verifier = Verifier::builder()
//!     .issuer(issuer.issuer())
//!     .keys(issuer.key_set())
//!     .protected_resource(resource) // the audience defaults to the resource identifier
//!     .build_static()?;
//!
//! let published = verifier.protected_resource().unwrap();
//! assert_eq!(
//!     published.to_json(),
//!     serde_json::json!({
//!         "resource": "https://api.example.com/mcp",
//!         "authorization_servers": ["https://id.example.com"],
//!         "scopes_supported": ["orders.read", "orders.write"],
//!         "bearer_methods_supported": ["header"],
//!         "resource_name": "Orders MCP server",
//!     })
//! );
//! assert_eq!(published.metadata_url(), "https://api.example.com/.well-known/oauth-protected-resource/mcp");
//! # let token = issuer.token().audience("https://api.example.com/mcp").sign();
//! # assert!(verifier.verify_now(&token).into_ready().unwrap().is_ok());
//! # Ok::<(), scopegate_core::Error>(())
//! ```

mod identifier;

pub use identifier::{METADATA_WELL_KNOWN, ResourceId};

use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::error::Error;
use crate::scope::Scope;

/// A protected resource and the metadata it publishes (RFC 9728 section 2). Members left unset
/// are omitted from the document, never `null`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ProtectedResource {
    resource: ResourceId,
    authorization_servers: Vec<String>,
    scopes_supported: Vec<Scope>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
    dpop_signing_algs: Vec<Algorithm>,
    dpop_required: bool,
    certificate_bound: bool,
}

impl ProtectedResource {
    /// The resource `identifier`; see [`ResourceId`] for the rules.
    ///
    /// # Errors
    ///
    /// As [`ResourceId::parse`].
    pub fn new(identifier: &str) -> Result<Self, Error> {
        Ok(Self {
            resource: ResourceId::parse(identifier)?,
            authorization_servers: Vec::new(),
            scopes_supported: Vec::new(),
            resource_name: None,
            resource_documentation: None,
            dpop_signing_algs: Vec::new(),
            dpop_required: false,
            certificate_bound: false,
        })
    }

    /// Adds an authorization server (its issuer identifier). Defaults to the issuers the
    /// verifier trusts.
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        if !self.authorization_servers.contains(&issuer) {
            self.authorization_servers.push(issuer);
        }
        self
    }

    /// Adds scopes clients may request for this resource (`scopes_supported`), in order,
    /// without duplicates.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`](crate::ErrorKind::InvalidConfiguration) for a scope
    /// that breaks RFC 6749 syntax, and for `offline_access`: it asks for a refresh token, not
    /// for access to this resource, and clients request what the document lists (MCP
    /// 2025-11-25 forbids it there).
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for scope in scopes {
            if scope.as_ref() == "offline_access" {
                return Err(Error::config(
                    "`offline_access` is not a scope of a protected resource; leave it out of \
                     scopes_supported",
                ));
            }
            let scope = Scope::new(scope.as_ref())?;
            if !self.scopes_supported.contains(&scope) {
                self.scopes_supported.push(scope);
            }
        }
        Ok(self)
    }

    /// A name for people (`resource_name`).
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// Where developers read how to use the resource (`resource_documentation`).
    pub fn resource_documentation(mut self, url: impl Into<String>) -> Self {
        self.resource_documentation = Some(url.into());
        self
    }

    /// Publishes the DPoP members (RFC 9449 section 5.1): the proof algorithms accepted, and
    /// whether DPoP-bound tokens are required.
    pub fn dpop(mut self, algorithms: impl IntoIterator<Item = Algorithm>, required: bool) -> Self {
        self.dpop_signing_algs = algorithms.into_iter().collect();
        self.dpop_required = required;
        self
    }

    /// Publishes `tls_client_certificate_bound_access_tokens: true` (RFC 9728 section 2):
    /// this resource accepts tokens bound to TLS client certificates (RFC 8705), and its
    /// requests carry the client's certificate (scopegate-tower's TLS serving, or a trusted
    /// proxy's `Client-Cert` header).
    pub fn certificate_bound_tokens(mut self, supported: bool) -> Self {
        self.certificate_bound = supported;
        self
    }

    /// The identifier.
    pub fn resource(&self) -> &ResourceId {
        &self.resource
    }

    /// The authorization servers.
    pub fn authorization_servers(&self) -> &[String] {
        &self.authorization_servers
    }

    /// The scopes published in `scopes_supported`.
    pub fn scopes(&self) -> &[Scope] {
        &self.scopes_supported
    }

    /// The URL of the metadata document: the value of `resource_metadata` in challenges.
    pub fn metadata_url(&self) -> String {
        self.resource.metadata_url()
    }

    /// The path of the metadata document on this resource's host.
    pub fn metadata_path(&self) -> String {
        self.resource.metadata_path()
    }

    /// The metadata document, absent members left out.
    pub fn to_json(&self) -> Value {
        let strings = |items: &mut dyn Iterator<Item = &str>| {
            Value::Array(items.map(|item| Value::String(item.to_owned())).collect())
        };
        let mut document = Map::new();
        document.insert("resource".into(), Value::String(self.resource.as_str().to_owned()));
        if !self.authorization_servers.is_empty() {
            let servers = strings(&mut self.authorization_servers.iter().map(String::as_str));
            document.insert("authorization_servers".into(), servers);
        }
        if !self.scopes_supported.is_empty() {
            let scopes = strings(&mut self.scopes_supported.iter().map(Scope::as_str));
            document.insert("scopes_supported".into(), scopes);
        }
        document.insert("bearer_methods_supported".into(), strings(&mut ["header"].into_iter()));
        if let Some(name) = &self.resource_name {
            document.insert("resource_name".into(), Value::String(name.clone()));
        }
        if let Some(documentation) = &self.resource_documentation {
            document.insert("resource_documentation".into(), Value::String(documentation.clone()));
        }
        if !self.dpop_signing_algs.is_empty() {
            let algs = strings(&mut self.dpop_signing_algs.iter().map(|alg| alg.as_str()));
            document.insert("dpop_signing_alg_values_supported".into(), algs);
        }
        if self.dpop_required {
            document.insert("dpop_bound_access_tokens_required".into(), Value::Bool(true));
        }
        if self.certificate_bound {
            let member = "tls_client_certificate_bound_access_tokens";
            document.insert(member.into(), Value::Bool(true));
        }
        Value::Object(document)
    }

    /// Fills in what the verifier knows: its issuers when no authorization server was named.
    pub(crate) fn with_default_servers<'a>(
        mut self,
        issuers: impl Iterator<Item = &'a str>,
    ) -> Self {
        if self.authorization_servers.is_empty() {
            self.authorization_servers = issuers.map(str::to_owned).collect();
        }
        self
    }
}

/// The RFC 9728 document, as [`ProtectedResource::to_json`].
impl Serialize for ProtectedResource {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn offline_access_is_not_a_scope_of_the_resource() {
        let error = ProtectedResource::new("https://api.example.com/mcp")
            .unwrap()
            .scopes_supported(["notes.read", "offline_access"])
            .unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::InvalidConfiguration);
        assert!(error.to_string().contains("offline_access"), "{error}");
    }

    #[test]
    fn absent_members_are_omitted() {
        let bare = ProtectedResource::new("https://api.example.com").unwrap();
        assert_eq!(
            bare.to_json(),
            json!({"resource": "https://api.example.com", "bearer_methods_supported": ["header"]})
        );
        let text = serde_json::to_string(&bare).unwrap();
        assert!(!text.contains("null"), "{text}");
    }

    #[test]
    fn every_member_in_order() {
        let full = ProtectedResource::new("https://api.example.com/mcp")
            .unwrap()
            .authorization_server("https://id.example.com")
            .authorization_server("https://id.example.com")
            .scopes_supported(["a", "b", "a"])
            .unwrap()
            .resource_name("API")
            .resource_documentation("https://docs.example.com")
            .dpop([Algorithm::ES256, Algorithm::PS256], true)
            .certificate_bound_tokens(true);
        assert_eq!(
            full.to_json(),
            json!({
                "resource": "https://api.example.com/mcp",
                "authorization_servers": ["https://id.example.com"],
                "scopes_supported": ["a", "b"],
                "bearer_methods_supported": ["header"],
                "resource_name": "API",
                "resource_documentation": "https://docs.example.com",
                "dpop_signing_alg_values_supported": ["ES256", "PS256"],
                "dpop_bound_access_tokens_required": true,
                "tls_client_certificate_bound_access_tokens": true,
            })
        );
        assert!(
            ProtectedResource::new("https://a.example").unwrap().scopes_supported(["a b"]).is_err()
        );
    }
}
