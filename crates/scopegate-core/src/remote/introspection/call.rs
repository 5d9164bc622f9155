//! One introspection call (RFC 7662 section 2): the request, this API's credentials, and the
//! answer read strictly.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, StatusCode, Uri};
use serde_json::{Map, Value};

use super::config::{ClientAuthentication, Introspection};
use crate::error::{Error, ErrorKind};
use crate::json;
use crate::remote::client::{Document, HttpClient, post_form};
use crate::remote::metadata::IssuerMetadata;

/// The largest introspection answer read, in bytes.
pub const MAX_INTROSPECTION_BYTES: usize = 64 * 1024;

/// What the authorization server said of a token.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `active: false`: nothing else in the answer is read (RFC 7662 section 2.2).
    Inactive,
    /// `active: true`, with the other members.
    Active(Map<String, Value>),
}

impl Answer {
    /// The answer as a JSON object that [`read_answer`] reads back: for a shared cache.
    pub(crate) fn to_json_bytes(&self) -> Vec<u8> {
        let mut object = match self {
            Self::Inactive => Map::new(),
            Self::Active(members) => members.clone(),
        };
        object.insert("active".to_owned(), Value::Bool(matches!(self, Self::Active(_))));
        serde_json::to_vec(&object).unwrap_or_default()
    }
}

/// What the endpoint answered: a JSON answer, read strictly, or a signed one (RFC 9701), to be
/// opened with the issuer's keys.
#[derive(Debug)]
pub(crate) enum Reply {
    Plain(Answer),
    Signed(Bytes),
}

/// The media type of a signed introspection answer (RFC 9701 section 4).
pub(crate) const SIGNED_ANSWER_TYPE: &str = "application/token-introspection+jwt";

/// Sends tokens to one issuer's introspection endpoint.
pub(crate) struct Introspector {
    issuer: Arc<str>,
    pub(crate) config: Introspection,
    endpoint: Option<Uri>,
    metadata: Arc<IssuerMetadata>,
    client: Arc<dyn HttpClient>,
    timeout: Duration,
}

impl Introspector {
    pub(crate) fn new(
        issuer: Arc<str>,
        config: Introspection,
        endpoint: Option<Uri>,
        metadata: Arc<IssuerMetadata>,
        client: Arc<dyn HttpClient>,
        timeout: Duration,
    ) -> Self {
        Self { issuer, config, endpoint, metadata, client, timeout }
    }

    pub(crate) fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Asks the issuer about `token`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::IntrospectionUnavailable`] when the endpoint cannot be found or reached,
    /// answers other than `200`, refuses our credentials (also logged as an error), or
    /// answers something that is not an introspection response, or answers unsigned when
    /// signed answers were asked for.
    pub(crate) async fn introspect(&self, token: &str) -> Result<Reply, Error> {
        let endpoint = self.endpoint().await?;
        let request = self.request(token);
        let response = match post_form(
            &*self.client,
            &endpoint,
            Document::Introspection,
            request,
            MAX_INTROSPECTION_BYTES,
            self.timeout,
        )
        .await
        {
            Ok(response) => response,
            Err(failure) => {
                if matches!(failure.status, Some(StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN))
                {
                    tracing::error!(
                        issuer = %self.issuer,
                        client_id = %self.config.client_id,
                        status = ?failure.status,
                        "the authorization server refused this API's introspection credentials"
                    );
                }
                return Err(failure.error);
            }
        };
        let unusable = |why: &str| {
            let message = format!("the introspection endpoint at {endpoint} answered {why}");
            Error::new(ErrorKind::IntrospectionUnavailable, message)
        };
        if self.config.signed_answers {
            if !is_signed_answer(&response.headers) {
                return Err(unusable("without signing its answer, which this API asks for"));
            }
            return Ok(Reply::Signed(response.body));
        }
        read_answer(&response.body).map(Reply::Plain).map_err(unusable)
    }

    async fn endpoint(&self) -> Result<Uri, Error> {
        if let Some(endpoint) = &self.endpoint {
            return Ok(endpoint.clone());
        }
        let document = self.metadata.get().await.map_err(|error| {
            let message = format!("the discovery document of {} could not be had", self.issuer);
            Error::new(ErrorKind::IntrospectionUnavailable, message).with_source(error)
        })?;
        document.introspection_endpoint.clone().ok_or_else(|| {
            let message = format!(
                "the discovery document of {} has no `introspection_endpoint`",
                self.issuer
            );
            Error::new(ErrorKind::IntrospectionUnavailable, message)
        })
    }

    /// The headers and the form body.
    fn request(&self, token: &str) -> (HeaderMap, Bytes) {
        let config = &self.config;
        let (mut headers, form) =
            client_form(config.authentication, &config.client_id, &config.client_secret, |form| {
                form.append_pair("token", token).append_pair("token_type_hint", "access_token");
            });
        if config.signed_answers {
            headers.insert(ACCEPT, HeaderValue::from_static(SIGNED_ANSWER_TYPE));
        }
        (headers, form)
    }
}

/// Whether the answer says it is a signed one: `Content-Type: application/token-introspection+jwt`
/// (parameters allowed).
fn is_signed_answer(headers: &HeaderMap) -> bool {
    headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).is_some_and(|value| {
        let essence = value.split(';').next().unwrap_or_default().trim();
        essence.eq_ignore_ascii_case(SIGNED_ANSWER_TYPE)
    })
}

/// A form request to the authorization server, authenticated as this API (RFC 6749 section
/// 2.3.1): `Accept: application/json`, the members `fill` adds, and the credentials in the
/// `Authorization` header (`client_secret_basic`) or the form (`client_secret_post`).
pub(crate) fn client_form(
    authentication: ClientAuthentication,
    client_id: &str,
    client_secret: &str,
    fill: impl FnOnce(&mut form_urlencoded::Serializer<'_, String>),
) -> (HeaderMap, Bytes) {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    let mut form = form_urlencoded::Serializer::new(String::new());
    fill(&mut form);
    match authentication {
        ClientAuthentication::Basic => {
            headers.insert(AUTHORIZATION, basic(client_id, client_secret));
        }
        ClientAuthentication::Post => {
            form.append_pair("client_id", client_id).append_pair("client_secret", client_secret);
        }
    }
    (headers, Bytes::from(form.finish()))
}

/// `Basic base64(form(id) ":" form(secret))`: RFC 6749 section 2.3.1 form-encodes both before
/// joining them, which many clients forget.
#[allow(clippy::expect_used, reason = "Base64 is always a valid header value")]
fn basic(client_id: &str, secret: &str) -> HeaderValue {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let credentials = STANDARD.encode(format!("{}:{}", encode(client_id), encode(secret)));
    let mut value = HeaderValue::try_from(format!("Basic {credentials}"))
        .expect("`Basic` and Base64 make a header value");
    value.set_sensitive(true);
    value
}

/// The answer, strictly: one JSON object without repeated members, with a boolean `active`.
pub(crate) fn read_answer(body: &[u8]) -> Result<Answer, &'static str> {
    let answer = json::parse_object(body).map_err(|_| "something that is not a JSON object")?;
    answer_from(answer).map_err(|_| "without a boolean `active`")
}

/// The answer in the members of an introspection response: its boolean `active` decides.
pub(crate) fn answer_from(mut members: Map<String, Value>) -> Result<Answer, &'static str> {
    match members.remove("active") {
        Some(Value::Bool(false)) => Ok(Answer::Inactive),
        Some(Value::Bool(true)) => Ok(Answer::Active(members)),
        _ => Err("an object with a boolean `active`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector from openid/AppAuth-iOS#233: both parts form-encoded before Base64.
    #[test]
    fn basic_credentials_are_form_encoded_first() {
        let value = basic("1PpG/Q 1", "z/tZ9VwFZqApmIQ+ZH1I5pLk/uB4ud:X2/8bL+wfFTt1rFw=");
        assert_eq!(
            value,
            "Basic MVBwRyUyRlErMTp6JTJGdFo5VndGWnFBcG1JUSUyQlpIMUk1cExrJTJGdUI0dWQlM0FYMiUyRjhiTCUyQndmRlR0MXJGdyUzRA=="
        );
        assert!(value.is_sensitive());
    }

    #[test]
    fn answers_are_read_strictly() {
        assert!(matches!(read_answer(br#"{"active":false,"sub":"x"}"#), Ok(Answer::Inactive)));
        let Ok(Answer::Active(members)) = read_answer(br#"{"active":true,"sub":"x"}"#) else {
            panic!("active answer");
        };
        assert_eq!(members.get("sub"), Some(&Value::from("x")));
        for bad in [
            &b"{}"[..],
            br#"{"active":"true"}"#,
            br#"{"active":true,"active":false}"#,
            b"[]",
            b"oops",
        ] {
            assert!(read_answer(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
