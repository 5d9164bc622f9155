//! A strict, bounded JSON object parser for token headers and payloads.
//!
//! `serde_json::from_slice::<Value>` keeps the last of two duplicate members and nests up to
//! 128 levels. A token whose payload says `"aud":"ours","aud":"theirs"` must not mean different
//! things to different parsers, so here duplicate member names are an error at every level,
//! nesting is capped, and the text must be one JSON object with nothing after it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// How deep objects and arrays may nest inside a token header or payload.
pub(crate) const MAX_DEPTH: usize = 16;

/// Why a JSON text was refused. Deliberately vague: the text came from an attacker, and the
/// parser's own messages could quote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JsonError {
    /// Not JSON, not UTF-8, trailing data, or not an object.
    Syntax,
    /// A member name appears twice in one object.
    DuplicateMember,
    /// Objects and arrays nest deeper than [`MAX_DEPTH`].
    TooDeep,
}

/// Parses `bytes` as exactly one JSON object under the rules above.
pub(crate) fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse_with(bytes, ValueSeed::top())? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::Syntax),
    }
}

/// Parses `bytes` as exactly one JSON value with `seed`: nothing may follow it. Seeds report
/// duplicate members and excess depth with [`duplicate`] and [`too_deep`].
pub(crate) fn parse_with<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut deserializer).map_err(|error| classify(&error))?;
    deserializer.end().map_err(|_| JsonError::Syntax)?;
    Ok(value)
}

const DUPLICATE: &str = "scopegate: duplicate member";
const TOO_DEEP: &str = "scopegate: nesting too deep";

/// The error a seed raises for a repeated member name.
pub(crate) fn duplicate<E: de::Error>() -> E {
    E::custom(DUPLICATE)
}

/// The error a seed raises past [`MAX_DEPTH`].
pub(crate) fn too_deep<E: de::Error>() -> E {
    E::custom(TOO_DEEP)
}

fn classify(error: &serde_json::Error) -> JsonError {
    let text = error.to_string();
    if text.starts_with(DUPLICATE) {
        JsonError::DuplicateMember
    } else if text.starts_with(TOO_DEEP) {
        JsonError::TooDeep
    } else {
        JsonError::Syntax
    }
}

/// A member name, borrowed from the text when it has no escapes.
pub(crate) struct MemberName<'de>(pub(crate) Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for MemberName<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = MemberName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name.to_owned())))
            }

            fn visit_string<E>(self, name: String) -> Result<Self::Value, E> {
                Ok(MemberName(Cow::Owned(name)))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

/// A member value as a header needs it: a string (borrowed when it has no escapes), or
/// anything else, skipped without allocating (nesting still capped).
pub(crate) enum Scalar<'de> {
    Str(Cow<'de, str>),
    Other,
}

/// Reads one [`Scalar`] of a top-level object.
#[derive(Clone, Copy)]
pub(crate) struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Scalar<'de>, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(value)))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar<'de>, A::Error> {
        Skip { depth: MAX_DEPTH - 1 }.visit_seq(seq).map(|()| Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar<'de>, A::Error> {
        Skip { depth: MAX_DEPTH - 1 }.visit_map(map).map(|()| Scalar::Other)
    }
}

/// Skips a value without allocating, with `depth` levels of nesting left.
#[derive(Clone, Copy)]
struct Skip {
    depth: usize,
}

impl Skip {
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        self.depth.checked_sub(1).map(|depth| Self { depth }).ok_or_else(too_deep)
    }
}

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.nested()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.nested()?;
        while map.next_key::<de::IgnoredAny>()?.is_some() {
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

/// A member value of a token payload: a string borrowed from the text when it has no escapes,
/// or any other JSON value (built with the same depth cap as [`ValueSeed`]).
#[derive(Debug)]
pub(crate) enum Loose<'de> {
    Str(Cow<'de, str>),
    Value(Value),
}

impl Loose<'_> {
    /// The value as an owned JSON value.
    pub(crate) fn into_value(self) -> Value {
        match self {
            Self::Str(text) => Value::String(text.into_owned()),
            Self::Value(value) => value,
        }
    }
}

/// Reads one [`Loose`] member of a top-level object.
#[derive(Clone, Copy)]
pub(crate) struct LooseSeed;

impl<'de> DeserializeSeed<'de> for LooseSeed {
    type Value = Loose<'de>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Loose<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LooseSeed {
    type Value = Loose<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Loose<'de>, E> {
        Ok(Loose::Str(Cow::Owned(value)))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Loose<'de>, E> {
        Ok(Loose::Value(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Loose<'de>, E> {
        Ok(Loose::Value(Value::Number(value.into())))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Loose<'de>, E> {
        Ok(Loose::Value(Value::Number(value.into())))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Loose<'de>, E> {
        ValueSeed::member().visit_f64(value).map(Loose::Value)
    }

    fn visit_unit<E>(self) -> Result<Loose<'de>, E> {
        Ok(Loose::Value(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<'de>, A::Error> {
        ValueSeed::member().visit_seq(seq).map(Loose::Value)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<'de>, A::Error> {
        ValueSeed::member().visit_map(map).map(Loose::Value)
    }
}

/// Deserializes any JSON value with `depth` levels of nesting left.
#[derive(Clone, Copy)]
pub(crate) struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed {
    /// A seed for a whole document.
    pub(crate) fn top() -> Self {
        Self { depth: MAX_DEPTH }
    }

    /// A seed for a member of a top-level object.
    pub(crate) fn member() -> Self {
        Self { depth: MAX_DEPTH - 1 }
    }

    fn nested<E: de::Error>(self) -> Result<Self, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(Self { depth }),
            None => Err(too_deep()),
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        Number::from_f64(value).map(Value::Number).ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let inner = self.nested()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value = access.next_value_seed(inner)?;
            if map.insert(key, value).is_some() {
                return Err(duplicate());
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_plain_object() {
        let map = parse_object(br#"{"a":1,"b":[true,null,"x",{"c":1.5}]}"#).unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(map["b"][3]["c"], 1.5);
    }

    #[test]
    fn rejects_duplicates_at_any_depth() {
        assert_eq!(parse_object(br#"{"aud":"a","aud":"b"}"#), Err(JsonError::DuplicateMember));
        assert_eq!(parse_object(br#"{"x":{"r":[1],"r":[2]}}"#), Err(JsonError::DuplicateMember));
        // Escapes that spell the same name are the same name.
        assert_eq!(parse_object(br#"{"exp":1,"\u0065xp":2}"#), Err(JsonError::DuplicateMember));
    }

    #[test]
    fn caps_nesting() {
        let ok = format!(
            "{}{}",
            "{\"a\":".repeat(MAX_DEPTH - 1),
            "1".to_owned() + &"}".repeat(MAX_DEPTH - 1)
        );
        assert!(parse_object(ok.as_bytes()).is_ok());
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(parse_object(deep.as_bytes()), Err(JsonError::TooDeep));
        let huge = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse_object(huge.as_bytes()).is_err());
    }

    #[test]
    fn rejects_non_objects_and_trailing_data() {
        for text in [
            &b"[]"[..],
            b"1",
            b"\"x\"",
            b"{}{}",
            b"{} x",
            b"",
            b"\xef\xbb\xbf{}",
            b"{\"a\":\"\xff\"}",
        ] {
            assert_eq!(parse_object(text), Err(JsonError::Syntax), "{text:?}");
        }
        assert!(parse_object(b" {} ").is_ok());
    }

    #[test]
    fn rejects_out_of_range_numbers() {
        assert_eq!(parse_object(br#"{"exp":1e400}"#), Err(JsonError::Syntax));
    }
}
