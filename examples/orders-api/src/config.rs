//! The orders API configured for a real identity provider, from `SCOPEGATE_*` variables.

use scopegate::remote::Introspection;
use scopegate::{ProtectedResource, Verifier, VerifierBuilder};

/// The verifier builder for a real issuer, or `None` when `SCOPEGATE_ISSUER` is not set.
/// `variable` reads one variable (`std::env::var(..).ok()` in `main`, a map in tests).
///
/// | variable | meaning |
/// |---|---|
/// | `SCOPEGATE_ISSUER` | the issuer to trust (discovery finds its keys) |
/// | `SCOPEGATE_AUDIENCE` | the audience tokens must carry (default `orders-api`) |
/// | `SCOPEGATE_JWKS_URI` | the JWKS URL, instead of discovery |
/// | `SCOPEGATE_INTROSPECTION_CLIENT_ID`, `..._SECRET` | introspect opaque tokens (RFC 7662) with these credentials |
pub fn real_issuer(
    variable: impl Fn(&str) -> Option<String>,
    resource: ProtectedResource,
) -> Option<VerifierBuilder> {
    let issuer = variable("SCOPEGATE_ISSUER")?;
    let audience = variable("SCOPEGATE_AUDIENCE").unwrap_or_else(|| "orders-api".to_owned());
    let mut builder =
        Verifier::builder().issuer(issuer).audience(audience).protected_resource(resource);
    if let Some(jwks_uri) = variable("SCOPEGATE_JWKS_URI") {
        builder = builder.jwks_uri(jwks_uri);
    }
    if let (Some(id), Some(secret)) = (
        variable("SCOPEGATE_INTROSPECTION_CLIENT_ID"),
        variable("SCOPEGATE_INTROSPECTION_CLIENT_SECRET"),
    ) {
        builder = builder.introspection(Introspection::new(id, secret));
    }
    Some(builder)
}
