//! Signed introspection answers (RFC 9701): the answer is a JWT the authorization server
//! signed with its own keys, so that an answer changed on the way, replayed later, or meant
//! for another API is refused.
//!
//! Cheap before costly: the shape, the header (`typ` `token-introspection+jwt`, the issuer's
//! `alg` allowlist), `iss`, `aud` and `iat` are checked before the signature, and the keys
//! are fetched only for an answer that passed all of that. Any failure makes the answer
//! unusable: the token may be fine, so the request is answered `503`, never `401`.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::issuer::KeySource;
use super::pipeline::{self, Halt};
use crate::algorithm::AlgorithmSet;
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, Header, TypeRule};
use crate::json;
use crate::key::store::KeyStore;
use crate::remote::introspection::{Answer, answer_from};
use crate::remote::keys::RemoteKeys;

/// The longest ago a signed answer may have been issued (`iat`), before the leeway: an answer
/// is made for the request that asked, so an old one is a replay.
pub(crate) const MAX_SIGNED_ANSWER_AGE: u64 = 60;

/// Where the issuer's keys are, for checking its answers' signatures.
#[derive(Clone)]
pub(crate) enum AnswerKeys {
    Static(Arc<KeyStore>),
    Remote(Arc<RemoteKeys>),
}

impl AnswerKeys {
    pub(crate) fn of(source: &KeySource) -> Self {
        match source {
            KeySource::Static(store) => Self::Static(Arc::clone(store)),
            KeySource::Remote(remote) => Self::Remote(Arc::clone(remote.keys())),
        }
    }
}

/// What a signed answer of one issuer must be.
pub(crate) struct SignedAnswerCheck {
    pub(crate) issuer: Arc<str>,
    /// This API's client id at the issuer: the answer's `aud`.
    pub(crate) audience: Box<str>,
    pub(crate) algorithms: AlgorithmSet,
    pub(crate) keys: AnswerKeys,
    pub(crate) leeway: u64,
}

impl SignedAnswerCheck {
    /// The answer inside `body` (the JWT the endpoint returned), at `now`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::IntrospectionUnavailable`], saying which rule the answer broke.
    pub(crate) async fn open(&self, body: &[u8], now: u64) -> Result<Answer, Error> {
        self.open_inner(body, now).await.map_err(|error| {
            let message =
                format!("the signed introspection answer was refused: {}", error.message());
            Error::new(ErrorKind::IntrospectionUnavailable, message)
        })
    }

    async fn open_inner(&self, body: &[u8], now: u64) -> Result<Answer, Error> {
        let text = std::str::from_utf8(body)
            .map_err(|_| Error::malformed("the answer is not text"))?
            .trim_ascii();
        let parts = CompactToken::split(text)?;
        let header = Header::parse(
            &jose::decode_segment(parts.header, "header")?,
            TypeRule::IntrospectionAnswer,
        )?;
        if !self.algorithms.contains(header.algorithm) {
            let message = "the answer's `alg` is not allowed for its issuer";
            return Err(Error::new(ErrorKind::DisallowedAlgorithm, message));
        }
        let mut payload = json::parse_object(&jose::decode_segment(parts.payload, "payload")?)
            .map_err(|_| Error::malformed("the answer's payload is not a JSON object"))?;
        self.check_claims(&payload, now)?;
        let signature = jose::decode_segment(parts.signature, "signature")?;
        self.check_signature(&header, parts.signing_input.as_bytes(), &signature).await?;
        match payload.remove("token_introspection") {
            Some(Value::Object(members)) => {
                answer_from(members).map_err(|why| Error::invalid_claim("token_introspection", why))
            }
            _ => Err(Error::invalid_claim("token_introspection", "an object")),
        }
    }

    /// `iss` is the issuer, `aud` names this API's client id, `iat` is recent.
    fn check_claims(&self, payload: &Map<String, Value>, now: u64) -> Result<(), Error> {
        if payload.get("iss").and_then(Value::as_str) != Some(&*self.issuer) {
            let message = "the answer's `iss` is not the issuer asked";
            return Err(Error::new(ErrorKind::UntrustedIssuer, message));
        }
        let audience = &*self.audience;
        let for_us = match payload.get("aud") {
            Some(Value::String(aud)) => aud == audience,
            Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
            _ => false,
        };
        if !for_us {
            let message = "the answer's `aud` is not this API's client id";
            return Err(Error::new(ErrorKind::InvalidAudience, message));
        }
        let Some(issued_at) = payload.get("iat").and_then(Value::as_u64) else {
            return Err(Error::invalid_claim("iat", "a whole number of seconds"));
        };
        if issued_at > now.saturating_add(self.leeway) {
            return Err(Error::new(
                ErrorKind::IssuedInFuture,
                "the answer's `iat` is in the future",
            ));
        }
        if now > issued_at.saturating_add(MAX_SIGNED_ANSWER_AGE).saturating_add(self.leeway) {
            return Err(Error::new(ErrorKind::TooOld, "the answer's `iat` is not recent"));
        }
        Ok(())
    }

    async fn check_signature(
        &self,
        header: &Header,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        self.keys.check(header, message, signature).await
    }
}

impl AnswerKeys {
    /// A signature made with these keys: fetched (once) when they are remote and missing or
    /// lack the header's `kid`.
    pub(crate) async fn check(
        &self,
        header: &Header,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Error> {
        let remote = match self {
            Self::Static(store) => {
                return pipeline::check_signature(store, header, message, signature);
            }
            Self::Remote(remote) => remote,
        };
        let unavailable =
            || Error::new(ErrorKind::KeySourceUnavailable, "the issuer's keys are not available");
        match pipeline::check_remote(remote, header, message, signature, true) {
            Ok(_) => Ok(()),
            Err(Halt::Error(error)) => Err(error),
            Err(Halt::Fetch(keys, generation)) => {
                crate::remote::tasks::demand(&keys, generation).await?;
                match pipeline::check_remote(remote, header, message, signature, false) {
                    Ok(_) => Ok(()),
                    Err(Halt::Error(error)) => Err(error),
                    Err(Halt::Fetch(..) | Halt::Resolve(_)) => Err(unavailable()),
                }
            }
            // Only a token's issuer is ever resolved: keys never ask for it.
            Err(Halt::Resolve(_)) => Err(unavailable()),
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::json;

    use super::*;
    use crate::algorithm::Algorithm;
    use crate::crypto::hmac_sha256;
    use crate::key::VerificationKey;

    const SECRET: &[u8] = b"a secret of at least thirty-two bytes, for HS256";
    const NOW: u64 = 1_700_000_000;

    fn check() -> SignedAnswerCheck {
        let key = VerificationKey::hmac_secret(SECRET).unwrap();
        let algorithms: AlgorithmSet = [Algorithm::HS256].into_iter().collect();
        SignedAnswerCheck {
            issuer: Arc::from("https://id.example.com"),
            audience: "orders-api".into(),
            algorithms,
            keys: AnswerKeys::Static(Arc::new(KeyStore::new(&[key], algorithms))),
            leeway: 5,
        }
    }

    fn signed(header: &Value, payload: &Value) -> Vec<u8> {
        let encode = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let input = format!("{}.{}", encode(header), encode(payload));
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(SECRET, input.as_bytes()));
        format!("{input}.{signature}").into_bytes()
    }

    fn header() -> Value {
        json!({"alg": "HS256", "typ": "token-introspection+jwt"})
    }

    fn payload() -> Value {
        json!({
            "iss": "https://id.example.com",
            "aud": "orders-api",
            "iat": NOW,
            "token_introspection": {"active": true, "sub": "ada"},
        })
    }

    fn open(body: &[u8]) -> Result<Answer, String> {
        scopegate_testkit::block_on(check().open(body, NOW)).map_err(|error| {
            assert_eq!(error.kind(), ErrorKind::IntrospectionUnavailable);
            error
                .message()
                .trim_start_matches("the signed introspection answer was refused: ")
                .to_owned()
        })
    }

    #[test]
    fn a_well_formed_answer_opens_in_every_accepted_form() {
        let mut audiences = payload();
        audiences["aud"] = json!(["billing", "orders-api"]);
        let mut media_type = header();
        media_type["typ"] = json!("application/token-introspection+jwt");
        for body in [
            signed(&header(), &payload()),
            signed(&header(), &audiences),
            signed(&media_type, &payload()),
        ] {
            let Ok(Answer::Active(members)) = open(&body) else { panic!("an active answer") };
            assert_eq!(members.get("sub"), Some(&json!("ada")));
        }
        let mut inactive = payload();
        inactive["token_introspection"] = json!({"active": false, "sub": "ada"});
        assert!(matches!(open(&signed(&header(), &inactive)), Ok(Answer::Inactive)));
        let mut padded = signed(&header(), &payload());
        padded.extend_from_slice(b"\r\n");
        assert!(open(&padded).is_ok(), "a trailing newline is not part of the answer");
    }

    /// A change to the header and payload of a good answer.
    type Change = dyn Fn(&mut Value, &mut Value);

    #[test]
    fn every_broken_rule_is_named() {
        let with = |change: &Change| {
            let (mut header, mut payload) = (header(), payload());
            change(&mut header, &mut payload);
            open(&signed(&header, &payload)).unwrap_err()
        };
        let cases: [(&Change, &str); 12] = [
            (&|h, _| h["alg"] = json!("none"), "unsecured tokens (`alg: none`) are never accepted"),
            (&|h, _| h["alg"] = json!("RS256"), "the answer's `alg` is not allowed for its issuer"),
            (
                &|h, _| h["typ"] = json!("at+jwt"),
                "the answer's `typ` must be `token-introspection+jwt` (RFC 9701)",
            ),
            (
                &|h, _| drop(h.as_object_mut().unwrap().remove("typ")),
                "the answer's `typ` must be `token-introspection+jwt` (RFC 9701)",
            ),
            (&|h, _| h["enc"] = json!("A256GCM"), "encrypted tokens (JWE) are not supported"),
            (
                &|_, p| p["iss"] = json!("https://other.example.com"),
                "the answer's `iss` is not the issuer asked",
            ),
            (
                &|_, p| p["aud"] = json!(["billing"]),
                "the answer's `aud` is not this API's client id",
            ),
            (
                &|_, p| drop(p.as_object_mut().unwrap().remove("iat")),
                "the `iat` claim must be a whole number of seconds",
            ),
            (&|_, p| p["iat"] = json!(NOW + 6), "the answer's `iat` is in the future"),
            (&|_, p| p["iat"] = json!(NOW - 66), "the answer's `iat` is not recent"),
            (
                &|_, p| drop(p.as_object_mut().unwrap().remove("token_introspection")),
                "the `token_introspection` claim must be an object",
            ),
            (
                &|_, p| p["token_introspection"] = json!({"sub": "ada"}),
                "the `token_introspection` claim must be an object with a boolean `active`",
            ),
        ];
        for (change, message) in cases {
            assert_eq!(with(change), message);
        }
        // Just inside the window, both ways.
        let mut edge = payload();
        edge["iat"] = json!(NOW + 5);
        assert!(open(&signed(&header(), &edge)).is_ok());
        edge["iat"] = json!(NOW - 65);
        assert!(open(&signed(&header(), &edge)).is_ok());
    }

    #[test]
    fn a_signature_that_does_not_hold_is_refused_last() {
        let mut body = signed(&header(), &payload());
        let last = body.len() - 2;
        body[last] = if body[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&body).unwrap_err(), "the token's signature is invalid");
        // A bad signature on an answer for another API is refused for the audience: the
        // cheap checks come first.
        let mut other = payload();
        other["aud"] = json!("billing");
        let mut body = signed(&header(), &other);
        body.truncate(body.len() - 4);
        assert_eq!(open(&body).unwrap_err(), "the answer's `aud` is not this API's client id");
        for junk in [&b""[..], b"{}", b"a.b", b"\xff\xfe", b"a.b.c.d.e"] {
            assert!(open(junk).is_err());
        }
    }
}
