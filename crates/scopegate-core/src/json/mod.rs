//! The strict, bounded JSON parser scopegate uses for every untrusted document: token headers
//! and payloads, JWKS and discovery documents, and (in `scopegate-mcp`) JSON-RPC bodies.
//!
//! `serde_json::from_slice::<Value>` keeps the last of two duplicate members and nests up to
//! 128 levels. A token whose payload says `"aud":"ours","aud":"theirs"`, or a JSON-RPC call
//! naming two tools, must not mean different things to different parsers, so here duplicate
//! member names are an error at every level, nesting is capped, the text must be UTF-8 and one
//! JSON value with nothing after it. Callers bound the size before parsing.
//!
//! ```
//! use scopegate_core::json::{self, JsonError};
//!
//! assert!(json::parse_object(br#"{"aud":"orders-api"}"#).is_ok());
//! assert_eq!(json::parse_object(br#"{"aud":"a","aud":"b"}"#), Err(JsonError::DuplicateMember));
//! let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
//! assert_eq!(json::parse_value(deep.as_bytes(), 32), Err(JsonError::TooDeep));
//! assert!(json::parse_value(deep.as_bytes(), 64).is_ok());
//! ```

mod borrowed;
mod value;

pub(crate) use borrowed::{Loose, LooseSeed, MemberName, Scalar, ScalarSeed};
pub(crate) use value::ValueSeed;

use serde::de::{self, DeserializeSeed};
use serde_json::{Map, Value};

/// How deep objects and arrays may nest inside a token header or payload, a JWKS or a
/// discovery document.
pub const MAX_DEPTH: usize = 16;

/// Why a JSON text was refused. Deliberately vague: the text came from an attacker, and the
/// parser's own messages could quote it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON, not UTF-8, trailing data, or not an object.
    Syntax,
    /// A member name appears twice in one object.
    DuplicateMember,
    /// Objects and arrays nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An object of a small, known shape (a DPoP proof's header or payload, a JWK) has more
    /// than [`MAX_OTHER_MEMBERS`] members it does not use.
    TooManyMembers,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Syntax => "the text is not the JSON expected",
            Self::DuplicateMember => "a JSON object repeats a member name",
            Self::TooDeep => "the JSON nests too deeply",
            Self::TooManyMembers => "a JSON object has too many members",
        })
    }
}

impl std::error::Error for JsonError {}

/// Parses `bytes` as exactly one JSON object, nested at most [`MAX_DEPTH`] deep.
///
/// # Errors
///
/// A [`JsonError`] for anything else.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse_with(bytes, ValueSeed::with_depth(MAX_DEPTH))? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::Syntax),
    }
}

/// Parses `bytes` as exactly one JSON value of any kind, nested at most `max_depth` deep.
///
/// # Errors
///
/// A [`JsonError`] for text that is not one JSON value, repeats a member name, or nests
/// deeper.
pub fn parse_value(bytes: &[u8], max_depth: usize) -> Result<Value, JsonError> {
    parse_with(bytes, ValueSeed::with_depth(max_depth))
}

/// Parses `bytes` as exactly one JSON value with `seed`: nothing may follow it. Seeds report
/// duplicate members and excess depth with [`duplicate`] and [`too_deep`].
pub(crate) fn parse_with<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, JsonError> {
    // One UTF-8 check over the whole text is cheaper than serde_json's check of each string
    // (measured: about 1,250 fewer instructions per token, header and payload together).
    let text = std::str::from_utf8(bytes).map_err(|_| JsonError::Syntax)?;
    parse_str_with(text, seed)
}

/// [`parse_with`] for text already known to be UTF-8.
pub(crate) fn parse_str_with<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    seed: S,
) -> Result<S::Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut deserializer).map_err(|error| classify(&error))?;
    deserializer.end().map_err(|_| JsonError::Syntax)?;
    Ok(value)
}

const DUPLICATE: &str = "scopegate: duplicate member";
const TOO_DEEP: &str = "scopegate: nesting too deep";
const TOO_MANY: &str = "scopegate: too many members";

/// How many members a DPoP proof's header or payload, or a JWK, may have beyond those it uses:
/// real ones have a handful, and each is checked against the others for duplicates.
pub const MAX_OTHER_MEMBERS: usize = 32;

/// The error a seed raises for a repeated member name.
pub(crate) fn duplicate<E: de::Error>() -> E {
    E::custom(DUPLICATE)
}

/// Files `name`, a member no slot holds, among `others`: refused when seen before, or when
/// there are already [`MAX_OTHER_MEMBERS`] (so the duplicate check stays small).
pub(crate) fn other_member<'de, E: de::Error>(
    others: &mut Vec<MemberName<'de>>,
    name: MemberName<'de>,
) -> Result<(), E> {
    if others.len() >= MAX_OTHER_MEMBERS {
        return Err(E::custom(TOO_MANY));
    }
    if others.iter().any(|other| other.0 == name.0) {
        return Err(duplicate());
    }
    others.push(name);
    Ok(())
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
    } else if text.starts_with(TOO_MANY) {
        JsonError::TooManyMembers
    } else {
        JsonError::Syntax
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
