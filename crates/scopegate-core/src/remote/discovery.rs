//! Reading an issuer's metadata through OpenID Connect Discovery or RFC 8414: where its keys
//! are, where it introspects tokens, where it issues them.

use http::{StatusCode, Uri};
use serde_json::Value;

use super::client::{Document, HttpClient, fetch};
use super::location::{checked_uri, discovery_uris};
use super::settings::RemoteSettings;
use crate::error::{Error, ErrorKind};
use crate::json;

/// The largest discovery document accepted, in bytes.
pub const MAX_DISCOVERY_BYTES: usize = 256 * 1024;

/// The members of an issuer's metadata scopegate uses, each checked for the transport rule.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Discovered {
    pub(crate) jwks_uri: Option<Uri>,
    pub(crate) introspection_endpoint: Option<Uri>,
    pub(crate) token_endpoint: Option<Uri>,
}

/// Fetches the issuer's metadata.
///
/// The OpenID Connect location is tried first; when it answers 404 (or 405, 410, 501), the
/// RFC 8414 location. The document's `issuer` must equal one of `accepted` exactly (OIDC
/// Discovery section 4.3, RFC 8414 section 3.3: `issuer` itself, or a template a document shared
/// by many tenants names); a mismatch is refused without trying further.
pub(crate) async fn discover(
    issuer: &str,
    accepted: &[Box<str>],
    settings: &RemoteSettings,
    client: &dyn HttpClient,
) -> Result<Discovered, Error> {
    let issuer_uri = checked_uri(issuer, settings.allow_http, "issuer")?;
    let mut last = None;
    for uri in discovery_uris(&issuer_uri)? {
        match fetch(client, &uri, Document::Discovery, MAX_DISCOVERY_BYTES, settings.timeout).await
        {
            Ok(response) => {
                return read_document(&response.body, issuer, accepted, &uri, settings);
            }
            Err(failure) => {
                let not_here = matches!(
                    failure.status,
                    Some(
                        StatusCode::NOT_FOUND
                            | StatusCode::METHOD_NOT_ALLOWED
                            | StatusCode::GONE
                            | StatusCode::NOT_IMPLEMENTED
                    )
                );
                if !not_here {
                    return Err(failure.error);
                }
                last = Some(failure.error);
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::new(ErrorKind::KeySourceUnavailable, "no discovery document was found")
    }))
}

fn read_document(
    body: &[u8],
    issuer: &str,
    accepted: &[Box<str>],
    from: &Uri,
    settings: &RemoteSettings,
) -> Result<Discovered, Error> {
    let unavailable = |message: String| Error::new(ErrorKind::KeySourceUnavailable, message);
    let document = json::parse_object(body).map_err(|_| {
        unavailable(format!("the discovery document at {from} is not a JSON object"))
    })?;
    match document.get("issuer") {
        Some(Value::String(found)) if accepted.iter().any(|issuer| **issuer == **found) => {}
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidConfiguration,
                format!(
                    "the discovery document at {from} names another issuer than `{issuer}`; refusing it"
                ),
            ));
        }
    }
    let endpoint = |name: &str| match document.get(name) {
        None => Ok(None),
        Some(Value::String(uri)) => {
            checked_uri(uri, settings.allow_http, name).map(Some).map_err(|error| {
                unavailable(format!("the discovery document at {from} has an unusable `{name}`"))
                    .with_source(error)
            })
        }
        Some(_) => Err(unavailable(format!(
            "the discovery document at {from} has a `{name}` that is not a string"
        ))),
    };
    Ok(Discovered {
        jwks_uri: endpoint("jwks_uri")?,
        introspection_endpoint: endpoint("introspection_endpoint")?,
        token_endpoint: endpoint("token_endpoint")?,
    })
}
