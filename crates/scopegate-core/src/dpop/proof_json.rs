//! The header and payload of a DPoP proof, read in one pass each with strings borrowed from the
//! decoded text: no JSON map is built for a proof, and most members cost no allocation. The
//! rules of the strict parser hold (one object, no duplicate members, nesting capped); what
//! the members mean is judged in [`proof`](super::proof).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};

use crate::json::{self, JsonError, Loose, LooseSeed, MemberName, Scalar, ScalarSeed};
use crate::key::jwk_members::{JwkMembers, JwkSeed};

/// The members of a proof's header that are judged.
#[derive(Default)]
pub(crate) struct ProofHeader<'de> {
    pub(crate) typ: Option<Scalar<'de>>,
    pub(crate) alg: Option<Scalar<'de>>,
    /// `Some(None)`: a `jwk` that is not an object.
    pub(crate) jwk: Option<Option<JwkMembers<'de>>>,
    /// `crit` or `b64`: extensions this server does not understand.
    pub(crate) extension: bool,
}

/// The members of a proof's payload that are judged.
#[derive(Default)]
pub(crate) struct ProofPayload<'de> {
    pub(crate) jti: Option<Scalar<'de>>,
    pub(crate) htm: Option<Scalar<'de>>,
    pub(crate) htu: Option<Scalar<'de>>,
    pub(crate) iat: Option<Loose<'de>>,
    pub(crate) ath: Option<Scalar<'de>>,
    pub(crate) nonce: Option<Scalar<'de>>,
}

/// Reads a proof's header.
pub(crate) fn header(text: &[u8]) -> Result<ProofHeader<'_>, JsonError> {
    json::parse_with(text, HeaderSeed)
}

/// Reads a proof's payload.
pub(crate) fn payload(text: &[u8]) -> Result<ProofPayload<'_>, JsonError> {
    json::parse_with(text, PayloadSeed)
}

fn fill<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    match slot.replace(value) {
        Some(_) => Err(json::duplicate()),
        None => Ok(()),
    }
}

struct HeaderSeed;

impl<'de> DeserializeSeed<'de> for HeaderSeed {
    type Value = ProofHeader<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for HeaderSeed {
    type Value = ProofHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DPoP proof header")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut header = ProofHeader::default();
        let mut others = Vec::new();
        while let Some(name) = map.next_key::<MemberName<'de>>()? {
            match &*name.0 {
                "typ" => fill(&mut header.typ, map.next_value_seed(ScalarSeed)?)?,
                "alg" => fill(&mut header.alg, map.next_value_seed(ScalarSeed)?)?,
                "jwk" => fill(&mut header.jwk, map.next_value_seed(JwkSeed)?)?,
                "crit" | "b64" => {
                    header.extension = true;
                    map.next_value_seed(ScalarSeed)?;
                    json::other_member(&mut others, name)?;
                }
                _ => {
                    map.next_value_seed(ScalarSeed)?;
                    json::other_member(&mut others, name)?;
                }
            }
        }
        Ok(header)
    }
}

struct PayloadSeed;

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = ProofPayload<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed {
    type Value = ProofPayload<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a DPoP proof payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut payload = ProofPayload::default();
        let mut others = Vec::new();
        while let Some(name) = map.next_key::<MemberName<'de>>()? {
            let slot = match &*name.0 {
                "jti" => &mut payload.jti,
                "htm" => &mut payload.htm,
                "htu" => &mut payload.htu,
                "ath" => &mut payload.ath,
                "nonce" => &mut payload.nonce,
                "iat" => {
                    fill(&mut payload.iat, map.next_value_seed(LooseSeed)?)?;
                    continue;
                }
                _ => {
                    map.next_value_seed(ScalarSeed)?;
                    json::other_member(&mut others, name)?;
                    continue;
                }
            };
            fill(slot, map.next_value_seed(ScalarSeed)?)?;
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_read_and_repeats_refused() {
        let header = header(br#"{"typ":"dpop+jwt","alg":"ES256","jwk":{"kty":"EC","crv":"P-256","x":"AA","y":"AQ"},"kid":"x"}"#).unwrap();
        assert!(matches!(header.typ, Some(Scalar::Str(ref typ)) if typ == "dpop+jwt"));
        let jwk = header.jwk.unwrap().unwrap();
        assert!(matches!(jwk.crv, Some(Scalar::Str(ref crv)) if crv == "P-256"));
        assert!(!header.extension);
        for repeated in [
            &br#"{"alg":"ES256","alg":"RS256"}"#[..],
            br#"{"jwk":{},"jwk":{}}"#,
            br#"{"jwk":{"x":"a","x":"b"}}"#,
            br#"{"jwk":{"d":"a","d":"b"}}"#,
            br#"{"other":1,"other":2}"#,
            br#"{"crit":[],"crit":[]}"#,
        ] {
            assert_eq!(super::header(repeated).err(), Some(JsonError::DuplicateMember));
        }
        assert!(super::header(br#"{"crit":["exp"]}"#).unwrap().extension);
        assert!(matches!(super::header(br#"{"jwk":"key"}"#).unwrap().jwk, Some(None)));
        let payload =
            payload(br#"{"jti":"j","htm":"GET","htu":"https://x/","iat":1,"ath":"a","other":[1]}"#)
                .unwrap();
        assert!(matches!(payload.iat, Some(Loose::Value(_))));
        assert_eq!(super::payload(br#"{"iat":1,"iat":2}"#).err(), Some(JsonError::DuplicateMember));
        assert_eq!(super::payload(b"[]").err(), Some(JsonError::Syntax));
    }

    /// The review's finding: ~870 distinct two-letter members in an 8 KiB header made the
    /// duplicate check quadratic before any cheap check ran. Past 32 the object is refused.
    #[test]
    fn objects_with_many_unused_members_are_refused_early() {
        let members = |count: usize| {
            let names: Vec<String> = (0..count).map(|n| format!("\"m{n}\":1")).collect();
            format!("{{{}}}", names.join(","))
        };
        assert!(payload(members(32).as_bytes()).is_ok());
        assert_eq!(payload(members(33).as_bytes()).err(), Some(JsonError::TooManyMembers));
        assert_eq!(header(members(900).as_bytes()).err(), Some(JsonError::TooManyMembers));
        let jwk = format!(r#"{{"jwk":{}}}"#, members(33));
        assert_eq!(header(jwk.as_bytes()).err(), Some(JsonError::TooManyMembers));
    }
}
