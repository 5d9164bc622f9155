//! The test identity provider's token endpoint: the RFC 8693 token-exchange grant, with the
//! rules a real server applies.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::PoisonError;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use scopegate_core::Verifier;
use serde_json::{Value, json};

use super::endpoint::{Filler, json_response};
use super::introspection::{basic_credentials, error};
use crate::issuer::TestIssuer;

pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The token-exchange grant: who may exchange, and how long issued tokens live.
pub(crate) struct Exchange {
    issuer: TestIssuer,
    lifetime: Mutex<u64>,
    /// The audience a subject token must have (the exchanging resource's); any when `None`.
    audience: Option<String>,
}

impl Exchange {
    pub(crate) fn new(issuer: TestIssuer) -> Self {
        Self { issuer, lifetime: Mutex::new(300), audience: None }
    }

    /// The issuer whose tokens it exchanges (and whose key signs them).
    pub(crate) fn issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// Only subject tokens meant for `audience` (the resource that exchanges them).
    pub(crate) fn for_audience(mut self, audience: &str) -> Self {
        self.audience = Some(audience.to_owned());
        self
    }

    pub(crate) fn set_lifetime(&self, seconds: u64) {
        *self.lifetime.lock().unwrap_or_else(PoisonError::into_inner) = seconds;
    }

    /// The answer to one token request: the subject token must be a valid token of this
    /// issuer (any audience), the requested scopes a subset of its scopes, a target named;
    /// the issued token keeps `sub`, has the target as `aud`, the requested scopes,
    /// `client_id` and `act` naming the exchanging client, and never outlives the subject.
    pub(crate) fn answer(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        accepted: &(String, String),
        now: u64,
    ) -> http::Response<Filler> {
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        let presented = match (basic_credentials(headers), form.get("client_id")) {
            (Some(credentials), None) => credentials,
            (None, Some(id)) => {
                (id.clone(), form.get("client_secret").cloned().unwrap_or_default())
            }
            _ => return error(StatusCode::UNAUTHORIZED, "invalid_client"),
        };
        let same = |a: &str, b: &str| {
            a.len() == b.len()
                && a.bytes().zip(b.bytes()).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
        };
        if !(same(&presented.0, &accepted.0) & same(&presented.1, &accepted.1)) {
            return error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        if form.get("grant_type").map(String::as_str) != Some(GRANT) {
            return error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
        }
        if form.get("subject_token_type").map(String::as_str) != Some(ACCESS_TOKEN) {
            return error(StatusCode::BAD_REQUEST, "invalid_request");
        }
        let Some(subject) = form.get("subject_token").and_then(|token| self.verify(token)) else {
            return error(StatusCode::BAD_REQUEST, "invalid_grant");
        };
        let Some(target) = form.get("audience").or_else(|| form.get("resource")) else {
            return error(StatusCode::BAD_REQUEST, "invalid_target");
        };
        let granted: Vec<&str> = subject.scopes().iter().collect();
        let requested: Vec<&str> = match form.get("scope") {
            Some(scope) => scope.split(' ').filter(|s| !s.is_empty()).collect(),
            None => granted.clone(),
        };
        if requested.iter().any(|scope| !granted.contains(scope)) {
            return error(StatusCode::BAD_REQUEST, "invalid_scope");
        }
        let lifetime = *self.lifetime.lock().unwrap_or_else(PoisonError::into_inner);
        let subject_exp = subject.expires_at().map_or(u64::MAX, |exp| exp.as_secs());
        let exp = subject_exp.min(now.saturating_add(lifetime));
        let token = self
            .issuer
            .token()
            .subject(subject.subject().unwrap_or_default())
            .audience(target)
            .scopes(requested.iter().copied())
            .client_id(&presented.0)
            .claim("act", json!({ "sub": presented.0 }))
            .claim("iat", now)
            .claim("exp", exp)
            .sign();
        let answer = json!({
            "access_token": token,
            "issued_token_type": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": exp.saturating_sub(now),
            "scope": requested.join(" "),
        });
        json_response(answer.to_string().into_bytes(), Some("no-store".to_owned()))
    }

    /// The claims of `token` if it is a valid token of this issuer, for any audience.
    fn verify(&self, token: &str) -> Option<scopegate_core::Claims> {
        let payload = token.split('.').nth(1)?;
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let audience = match (&self.audience, payload.get("aud")?) {
            (Some(required), _) => required.clone(),
            (None, Value::String(audience)) => audience.clone(),
            (None, Value::Array(audiences)) => audiences.first()?.as_str()?.to_owned(),
            _ => return None,
        };
        let verifier = Verifier::builder()
            .issuer(self.issuer.issuer())
            .audience(audience)
            .keys(self.issuer.key_set())
            .build_static()
            .ok()?;
        verifier.verify_now(token).into_ready()?.ok()
    }
}
