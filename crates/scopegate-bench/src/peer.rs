//! The peer: aliri_tower's JWT layer, for RS256 and HS256 (its EC support needs OpenSSL).

use aliri::jwt::{Audience, Audiences, CoreClaims, Issuer, IssuerRef, Subject, SubjectRef};
use aliri_clock::UnixTime;
use aliri_oauth2::{Authority, HasScope, scope::Scope};
use aliri_tower::Oauth2Authorizer;
use axum::Router;
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

use crate::{AUDIENCE, Fixture, HMAC_SECRET};

/// The claims aliri deserializes from the fixture tokens.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct AliriClaims {
    iss: Issuer,
    aud: Audiences,
    sub: Subject,
    exp: UnixTime,
    scope: Scope,
}

impl CoreClaims for AliriClaims {
    fn nbf(&self) -> Option<UnixTime> {
        None
    }
    fn exp(&self) -> Option<UnixTime> {
        Some(self.exp)
    }
    fn aud(&self) -> &Audiences {
        &self.aud
    }
    fn iss(&self) -> Option<&IssuerRef> {
        Some(&self.iss)
    }
    fn sub(&self) -> Option<&SubjectRef> {
        Some(&self.sub)
    }
}

impl HasScope for AliriClaims {
    fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// Row 7: aliri_tower's JWT layer in front of the same handler; `None` for the algorithms
/// aliri cannot verify without OpenSSL.
pub fn aliri(fixture: &Fixture) -> Option<Router> {
    let algorithm = match fixture.name {
        "RS256" => aliri::jwa::Algorithm::RS256,
        "HS256" => aliri::jwa::Algorithm::HS256,
        _ => return None,
    };
    let mut jwk = fixture.issuer.key().public_jwk();
    if let Some(object) = jwk.as_object_mut().filter(|_| fixture.name == "HS256") {
        object.insert("k".to_owned(), serde_json::Value::from(URL_SAFE_NO_PAD.encode(HMAC_SECRET)));
    }
    // aliri's JWK parser borrows from the text: parse from a string, not a `Value`.
    let text = serde_json::json!({ "keys": [jwk] }).to_string();
    let jwks: aliri::Jwks = serde_json::from_str(&text).expect("aliri JWKS");
    assert_eq!(jwks.keys().len(), 1, "aliri dropped the key");
    let validator = aliri::jwt::CoreValidator::default()
        .add_approved_algorithm(algorithm)
        .add_allowed_audience(Audience::from(AUDIENCE.to_owned()))
        .require_issuer(Issuer::from(fixture.issuer.issuer().to_owned()));
    let authorizer =
        Oauth2Authorizer::new().with_claims::<AliriClaims>().with_terse_error_handler();
    let router = Router::new().route("/orders", get(|| async { "ok" }));
    Some(router.layer(authorizer.jwt_layer(Authority::new(jwks, validator))))
}
