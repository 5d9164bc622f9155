//! The RFC 8693 request to one issuer's token endpoint, and reading its answer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Map, Value};

use super::{
    ACCESS_TOKEN_TYPE, ExchangeRequest, MAX_EXCHANGE_RESPONSE_BYTES, TOKEN_EXCHANGE_GRANT,
    TokenExchange,
};
use crate::error::{Error, ErrorKind};
use crate::json;
use crate::remote::client::HttpClient;
use crate::remote::introspection::client_form;
use crate::remote::metadata::IssuerMetadata;

/// What the token endpoint issued.
pub(crate) struct Exchanged {
    pub(crate) access_token: String,
    pub(crate) token_type: String,
    pub(crate) expires_in: Option<u64>,
    pub(crate) scope: Option<String>,
}

/// Exchanges tokens at one issuer's token endpoint.
pub(crate) struct Exchanger {
    issuer: Arc<str>,
    pub(crate) config: TokenExchange,
    endpoint: Option<Uri>,
    metadata: Arc<IssuerMetadata>,
    client: Arc<dyn HttpClient>,
    timeout: Duration,
}

fn unavailable(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::TokenExchangeUnavailable, message.into())
}

impl Exchanger {
    pub(crate) fn new(
        issuer: Arc<str>,
        config: TokenExchange,
        endpoint: Option<Uri>,
        metadata: Arc<IssuerMetadata>,
        client: Arc<dyn HttpClient>,
        timeout: Duration,
    ) -> Self {
        Self { issuer, config, endpoint, metadata, client, timeout }
    }

    /// Exchanges `subject_token` for `request`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TokenExchangeRefused`] for the authorization server's `400` refusals,
    /// [`ErrorKind::TokenExchangeUnavailable`] for everything else that is not a token.
    pub(crate) async fn exchange(
        &self,
        subject_token: &str,
        request: &ExchangeRequest,
    ) -> Result<Exchanged, Error> {
        let endpoint = self.endpoint().await?;
        let (headers, form) = self.form(subject_token, request);
        let call = self.client.post_form(&endpoint, headers, form, MAX_EXCHANGE_RESPONSE_BYTES);
        let response = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(response)) => response,
            Ok(Err(_)) => {
                return Err(unavailable(format!(
                    "the token endpoint at {endpoint} could not be reached"
                )));
            }
            Err(_) => {
                return Err(unavailable(format!(
                    "the token endpoint at {endpoint} did not answer within {:?}",
                    self.timeout
                )));
            }
        };
        if response.body.len() > MAX_EXCHANGE_RESPONSE_BYTES {
            return Err(unavailable(format!("the token endpoint at {endpoint} answered too much")));
        }
        let body = json::parse_object(&response.body).ok();
        match response.status {
            StatusCode::OK => body.and_then(read_token).ok_or_else(|| {
                unavailable(format!("the token endpoint at {endpoint} answered no usable token"))
            }),
            StatusCode::BAD_REQUEST => {
                let code = body.as_ref().and_then(|body| body.get("error")).and_then(Value::as_str);
                match code {
                    Some(
                        code @ ("invalid_grant"
                        | "invalid_target"
                        | "invalid_scope"
                        | "invalid_request"
                        | "unauthorized_client"),
                    ) => Err(Error::new(
                        ErrorKind::TokenExchangeRefused,
                        format!("the authorization server refused the token exchange (`{code}`)"),
                    )),
                    _ => Err(unavailable(format!("the token endpoint at {endpoint} answered 400"))),
                }
            }
            status @ (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) => {
                tracing::error!(
                    issuer = %self.issuer,
                    client_id = %self.config.client_id,
                    status = %status,
                    "the authorization server refused this API's token exchange credentials"
                );
                Err(unavailable("the authorization server refused this API's credentials"))
            }
            status => {
                Err(unavailable(format!("the token endpoint at {endpoint} answered {status}")))
            }
        }
    }

    async fn endpoint(&self) -> Result<Uri, Error> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(endpoint.clone());
        }
        let document = self.metadata.get().await.map_err(|error| {
            unavailable(format!("the discovery document of {} could not be had", self.issuer))
                .with_source(error)
        })?;
        document.token_endpoint.clone().ok_or_else(|| {
            unavailable(format!(
                "the discovery document of {} has no `token_endpoint`",
                self.issuer
            ))
        })
    }

    fn form(&self, subject_token: &str, request: &ExchangeRequest) -> (HeaderMap, Bytes) {
        let config = &self.config;
        client_form(config.authentication, &config.client_id, &config.client_secret, |form| {
            form.append_pair("grant_type", TOKEN_EXCHANGE_GRANT)
                .append_pair("subject_token", subject_token)
                .append_pair("subject_token_type", ACCESS_TOKEN_TYPE)
                .append_pair("requested_token_type", ACCESS_TOKEN_TYPE);
            if let Some(audience) = &request.audience {
                form.append_pair("audience", audience);
            }
            if let Some(resource) = &request.resource {
                form.append_pair("resource", resource);
            }
            if !request.scopes.is_empty() {
                form.append_pair("scope", &request.scopes.join(" "));
            }
        })
    }
}

/// The token of a `200` answer (RFC 8693 section 2.2.1): `access_token` and `token_type`
/// strings, `expires_in` a non-negative integer if present, `scope` a string if present.
fn read_token(mut body: Map<String, Value>) -> Option<Exchanged> {
    let Some(Value::String(access_token)) = body.remove("access_token") else { return None };
    let Some(Value::String(token_type)) = body.remove("token_type") else { return None };
    let expires_in = match body.remove("expires_in") {
        None => None,
        Some(value) => Some(value.as_u64()?),
    };
    let scope = match body.remove("scope") {
        None => None,
        Some(Value::String(scope)) => Some(scope),
        Some(_) => return None,
    };
    (!access_token.is_empty()).then_some(Exchanged { access_token, token_type, expires_in, scope })
}
