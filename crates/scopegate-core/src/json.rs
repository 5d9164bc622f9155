//! A strict, bounded JSON object parser for token headers and payloads.
//!
//! `serde_json::from_slice::<Value>` keeps the last of two duplicate members and nests up to
//! 128 levels. A token whose payload says `"aud":"ours","aud":"theirs"` must not mean different
//! things to different parsers, so here duplicate member names are an error at every level,
//! nesting is capped, and the text must be one JSON object with nothing after it.

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
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed { depth: MAX_DEPTH }
        .deserialize(&mut deserializer)
        .map_err(|error| classify(&error))?;
    deserializer.end().map_err(|_| JsonError::Syntax)?;
    match value {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::Syntax),
    }
}

const DUPLICATE: &str = "scopegate: duplicate member";
const TOO_DEEP: &str = "scopegate: nesting too deep";

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

/// Deserializes any JSON value with `depth` levels of nesting left.
#[derive(Clone, Copy)]
struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed {
    fn nested<E: de::Error>(self) -> Result<Self, E> {
        match self.depth.checked_sub(1) {
            Some(depth) => Ok(Self { depth }),
            None => Err(E::custom(TOO_DEEP)),
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
                return Err(de::Error::custom(DUPLICATE));
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
