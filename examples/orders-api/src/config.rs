//! The orders API configured for a real identity provider, from `SCOPEGATE_*` variables.

use scopegate::dpop::{Dpop, DpopMode};
use scopegate::remote::Introspection;
use scopegate::{Error, ProtectedResource, Verifier, VerifierBuilder};

/// The verifier builder for a real issuer, or `None` when `SCOPEGATE_ISSUER` is not set.
/// `variable` reads one variable (`std::env::var(..).ok()` in `main`, a map in tests).
///
/// | variable | meaning |
/// |---|---|
/// | `SCOPEGATE_ISSUER` | the issuer to trust (discovery finds its keys) |
/// | `SCOPEGATE_AUDIENCE` | the audience tokens must carry (default `orders-api`) |
/// | `SCOPEGATE_JWKS_URI` | the JWKS URL, instead of discovery |
/// | `SCOPEGATE_INTROSPECTION_CLIENT_ID`, `..._SECRET` | introspect opaque tokens (RFC 7662) with these credentials |
/// | `SCOPEGATE_DPOP` | `off` (default), `allowed` or `required`: DPoP-bound tokens (RFC 9449) |
/// | `SCOPEGATE_PUBLIC_URL` | the URL clients reach this API at, which DPoP proofs name (default: the resource identifier) |
pub fn real_issuer(
    variable: impl Fn(&str) -> Option<String>,
    resource: ProtectedResource,
) -> Option<Result<VerifierBuilder, Error>> {
    let issuer = variable("SCOPEGATE_ISSUER")?;
    let audience = variable("SCOPEGATE_AUDIENCE").unwrap_or_else(|| "orders-api".to_owned());
    let public_url =
        variable("SCOPEGATE_PUBLIC_URL").unwrap_or_else(|| resource.resource().to_string());
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
    let mode = match variable("SCOPEGATE_DPOP").as_deref() {
        None | Some("off") => return Some(Ok(builder)),
        Some("allowed") => DpopMode::Allowed,
        Some("required") => DpopMode::Required,
        Some(other) => {
            let message = format!("SCOPEGATE_DPOP is `{other}`: use off, allowed or required");
            return Some(Err(Error::new(scopegate::ErrorKind::InvalidConfiguration, message)));
        }
    };
    Some(Dpop::new(mode, &public_url).map(|dpop| builder.dpop(dpop)))
}
