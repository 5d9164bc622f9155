//! The test identity provider's introspection endpoint (RFC 7662): opaque tokens it minted,
//! revocation, and the client credentials it checks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use super::endpoint::{Filler, json_response};
use crate::TestIssuer;

/// The client id the introspection endpoint accepts unless told otherwise.
pub const INTROSPECTION_CLIENT_ID: &str = "resource-server";
/// The client secret the introspection endpoint accepts unless told otherwise.
pub const INTROSPECTION_CLIENT_SECRET: &str = "resource-server-secret";

static NEXT_OPAQUE: AtomicU64 = AtomicU64::new(1);

/// Opaque tokens and who may ask about them.
pub(crate) struct Introspection {
    tokens: Mutex<HashMap<String, Minted>>,
    credentials: Mutex<(String, String)>,
    /// How each request presented its credentials (`client_secret_basic`, `client_secret_post`).
    methods: Mutex<Vec<&'static str>>,
}

struct Minted {
    claims: Map<String, Value>,
    revoked: bool,
}

impl Introspection {
    pub(crate) fn new() -> Self {
        Self {
            tokens: Mutex::new(HashMap::new()),
            credentials: Mutex::new((
                INTROSPECTION_CLIENT_ID.to_owned(),
                INTROSPECTION_CLIENT_SECRET.to_owned(),
            )),
            methods: Mutex::new(Vec::new()),
        }
    }

    /// A new opaque token that stands for `claims`.
    pub(crate) fn mint(&self, claims: Map<String, Value>) -> String {
        let mut random = [0u8; 16];
        // The token only has to be unique and unguessable in a test.
        let _ = aws_lc_rs::rand::fill(&mut random);
        let token = format!(
            "opq_{}_{}",
            NEXT_OPAQUE.fetch_add(1, Ordering::Relaxed),
            random.iter().map(|byte| format!("{byte:02x}")).collect::<String>()
        );
        self.mint_as(token, claims)
    }

    /// `token`, made to stand for `claims`.
    pub(crate) fn mint_as(&self, token: String, claims: Map<String, Value>) -> String {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.insert(token.clone(), Minted { claims, revoked: false });
        token
    }

    pub(crate) fn revoke(&self, token: &str) {
        if let Some(minted) =
            self.tokens.lock().unwrap_or_else(PoisonError::into_inner).get_mut(token)
        {
            minted.revoked = true;
        }
    }

    /// The client credentials accepted (at the token endpoint too).
    pub(crate) fn credentials(&self) -> (String, String) {
        self.credentials.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn methods(&self) -> Vec<&'static str> {
        self.methods.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub(crate) fn set_credentials(&self, client_id: &str, secret: &str) {
        *self.credentials.lock().unwrap_or_else(PoisonError::into_inner) =
            (client_id.to_owned(), secret.to_owned());
    }

    /// The answer to one introspection request: JSON, or signed by `issuer` as RFC 9701 says
    /// (bent as `signed` says) when the request asks for `application/token-introspection+jwt`.
    pub(crate) fn answer(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        now: u64,
        issuer: &TestIssuer,
        signed: SignedIntrospection,
    ) -> http::Response<Filler> {
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let from_header = basic_credentials(headers);
        let from_form = form.get("client_id").zip(form.get("client_secret"));
        let (presented, method) = match (from_header, from_form) {
            (Some(_), Some(_)) => return error(StatusCode::BAD_REQUEST, "invalid_request"),
            (Some(credentials), None) => (credentials, "client_secret_basic"),
            (None, Some((id, secret))) => ((id.clone(), secret.clone()), "client_secret_post"),
            (None, None) => return error(StatusCode::UNAUTHORIZED, "invalid_client"),
        };
        self.methods.lock().unwrap_or_else(PoisonError::into_inner).push(method);
        if presented != *self.credentials.lock().unwrap_or_else(PoisonError::into_inner) {
            return error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let Some(token) = form.get("token") else {
            return error(StatusCode::BAD_REQUEST, "invalid_request");
        };
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        let answer = match tokens.get(token) {
            Some(minted) if !minted.revoked && !expired(&minted.claims, now) => {
                let mut answer = minted.claims.clone();
                answer.insert("active".to_owned(), Value::Bool(true));
                Value::Object(answer)
            }
            _ => json!({ "active": false }),
        };
        if !asks_for_signed(headers) || signed == SignedIntrospection::Unsigned {
            return json_response(answer.to_string().into_bytes(), None);
        }
        let jwt = signed_answer(issuer, &presented.0, answer, now, signed);
        let mut response = json_response(jwt.into_bytes(), None);
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(SIGNED_ANSWER_TYPE));
        response
    }
}

/// The media type of a signed answer (RFC 9701 section 4).
const SIGNED_ANSWER_TYPE: &str = "application/token-introspection+jwt";

/// How the introspection endpoint answers a client that asks for signed answers (RFC 9701).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedIntrospection {
    /// As RFC 9701 says: `typ` `token-introspection+jwt`, signed with the issuer's key, `iss`
    /// the issuer, `aud` the client id that asked, `iat` now.
    #[default]
    AsAsked,
    /// Plain JSON, as if it had not heard the `Accept` header.
    Unsigned,
    /// Signed with a key that is not the issuer's.
    BadSignature,
    /// Names another client as `aud`.
    WrongAudience,
    /// Names another issuer as `iss`.
    WrongIssuer,
    /// `iat` ten minutes ago: a replayed answer.
    Stale,
    /// `typ` `at+jwt`: an access token passed off as an answer.
    AccessTokenType,
    /// The signed payload changed after signing (`active` flipped on for an inactive token).
    Tampered,
}

fn asks_for_signed(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains(SIGNED_ANSWER_TYPE))
}

/// `answer` as the JWT of RFC 9701 section 5, bent as `how` says.
fn signed_answer(
    issuer: &TestIssuer,
    client_id: &str,
    answer: Value,
    now: u64,
    how: SignedIntrospection,
) -> String {
    let (iss, aud, iat, typ) = match how {
        SignedIntrospection::WrongIssuer => ("https://elsewhere.example", client_id, now, None),
        SignedIntrospection::WrongAudience => (issuer.issuer(), "another-api", now, None),
        SignedIntrospection::Stale => (issuer.issuer(), client_id, now - 600, None),
        SignedIntrospection::AccessTokenType => (issuer.issuer(), client_id, now, Some("at+jwt")),
        _ => (issuer.issuer(), client_id, now, None),
    };
    let mut builder = issuer.token().typ(typ.unwrap_or("token-introspection+jwt"));
    for claim in ["sub", "client_id", "exp", "jti"] {
        builder = builder.without_claim(claim);
    }
    let builder =
        builder.issuer(iss).audience(aud).claim("iat", iat).claim("token_introspection", answer);
    match how {
        SignedIntrospection::BadSignature => builder.sign_with(&crate::TestKey::rsa()),
        SignedIntrospection::Tampered => {
            let forged = builder.clone().claim("token_introspection", json!({"active": true}));
            let signature = builder.sign().rsplit('.').next().unwrap_or_default().to_owned();
            let (header, payload) = forged.maps();
            format!("{}.{signature}", crate::token::signing_input(&header, &payload))
        }
        _ => builder.sign(),
    }
}

fn expired(claims: &Map<String, Value>, now: u64) -> bool {
    claims.get("exp").and_then(Value::as_u64).is_some_and(|exp| exp <= now)
}

/// The form-decoded id and secret of `Authorization: Basic` (RFC 6749 section 2.3.1).
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |text: &str| {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

pub(crate) fn error(status: StatusCode, code: &str) -> http::Response<Filler> {
    let mut response = json_response(json!({ "error": code }).to_string().into_bytes(), None);
    *response.status_mut() = status;
    response
}
