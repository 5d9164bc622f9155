//! The members of one JWK as read, before they are judged: from a parsed JSON object (a JWKS,
//! a configured JWK), or borrowed from the text of a DPoP proof's header without building a
//! JSON map ([`JwkSeed`]). Either way [`PublicJwk::from_members`](super::jwk::PublicJwk)
//! judges them, so a key means the same wherever it comes from.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::json::{self, MemberName, Scalar, ScalarSeed};

/// Members that only a private or symmetric key has (RFC 7518 sections 6.2.2, 6.3.2, 6.4;
/// RFC 8037 section 2).
pub(crate) const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// What `key_ops` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyOps {
    /// An array that includes `verify`.
    Verify,
    /// An array without `verify`.
    Others,
    /// Not an array.
    NotAnArray,
}

/// The members of a JWK that matter; strings borrow when they can.
#[derive(Default)]
pub(crate) struct JwkMembers<'a> {
    pub(crate) kty: Option<Scalar<'a>>,
    pub(crate) crv: Option<Scalar<'a>>,
    pub(crate) x: Option<Scalar<'a>>,
    pub(crate) y: Option<Scalar<'a>>,
    pub(crate) n: Option<Scalar<'a>>,
    pub(crate) e: Option<Scalar<'a>>,
    pub(crate) key_use: Option<Scalar<'a>>,
    pub(crate) alg: Option<Scalar<'a>>,
    pub(crate) kid: Option<Scalar<'a>>,
    pub(crate) key_ops: Option<KeyOps>,
    /// The first member present that only a private or symmetric key has.
    pub(crate) private: Option<&'static str>,
}

impl<'a> JwkMembers<'a> {
    /// The members of a parsed JWK object.
    pub(crate) fn from_object(object: &'a Map<String, Value>) -> Self {
        let mut members = Self {
            private: PRIVATE_MEMBERS.into_iter().find(|name| object.contains_key(*name)),
            key_ops: object.get("key_ops").map(|operations| match operations {
                Value::Array(items) if items.iter().any(|item| item == "verify") => KeyOps::Verify,
                Value::Array(_) => KeyOps::Others,
                _ => KeyOps::NotAnArray,
            }),
            ..Self::default()
        };
        for (name, value) in object {
            if let Some(slot) = members.slot(name) {
                *slot = Some(match value {
                    Value::String(text) => Scalar::Str(Cow::Borrowed(text)),
                    _ => Scalar::Other,
                });
            }
        }
        members
    }

    fn slot(&mut self, name: &str) -> Option<&mut Option<Scalar<'a>>> {
        Some(match name {
            "kty" => &mut self.kty,
            "crv" => &mut self.crv,
            "x" => &mut self.x,
            "y" => &mut self.y,
            "n" => &mut self.n,
            "e" => &mut self.e,
            "use" => &mut self.key_use,
            "alg" => &mut self.alg,
            "kid" => &mut self.kid,
            _ => return None,
        })
    }
}

/// Reads a JWK object borrowed from the text: duplicate members refused, unknown members
/// skipped without allocating, nesting capped.
#[derive(Clone, Copy)]
pub(crate) struct JwkSeed;

impl<'de> DeserializeSeed<'de> for JwkSeed {
    type Value = Option<JwkMembers<'de>>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JwkSeed {
    /// `None` when the value is not an object.
    type Value = Option<JwkMembers<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWK object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = JwkMembers::default();
        let mut others: Vec<MemberName<'de>> = Vec::new();
        while let Some(name) = map.next_key::<MemberName<'de>>()? {
            if &*name.0 == "key_ops" {
                if members.key_ops.replace(map.next_value_seed(KeyOpsSeed)?).is_some() {
                    return Err(json::duplicate());
                }
                continue;
            }
            let value = map.next_value_seed(ScalarSeed)?;
            if let Some(slot) = members.slot(&name.0) {
                if slot.replace(value).is_some() {
                    return Err(json::duplicate());
                }
                continue;
            }
            if members.private.is_none() {
                members.private = PRIVATE_MEMBERS.into_iter().find(|private| **private == *name.0);
            }
            json::other_member(&mut others, name)?;
        }
        Ok(Some(members))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element_seed(ScalarSeed)?.is_some() {}
        Ok(None)
    }
}

/// Reads `key_ops`: whether it is an array that includes `verify`.
#[derive(Clone, Copy)]
struct KeyOpsSeed;

impl<'de> DeserializeSeed<'de> for KeyOpsSeed {
    type Value = KeyOps;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<KeyOps, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyOpsSeed {
    type Value = KeyOps;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of key operations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KeyOps, A::Error> {
        let mut verify = false;
        while let Some(item) = seq.next_element_seed(ScalarSeed)? {
            verify |= matches!(item, Scalar::Str(operation) if operation == "verify");
        }
        Ok(if verify { KeyOps::Verify } else { KeyOps::Others })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyOps, A::Error> {
        while map.next_key::<de::IgnoredAny>()?.is_some() {
            map.next_value_seed(ScalarSeed)?;
        }
        Ok(KeyOps::NotAnArray)
    }

    fn visit_str<E>(self, _: &str) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }

    fn visit_bool<E>(self, _: bool) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }

    fn visit_i64<E>(self, _: i64) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }

    fn visit_u64<E>(self, _: u64) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }

    fn visit_f64<E>(self, _: f64) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }

    fn visit_unit<E>(self) -> Result<KeyOps, E> {
        Ok(KeyOps::NotAnArray)
    }
}
