//! The `aud` claim: one audience or several.

use serde::ser::{Serialize, SerializeSeq, Serializer};
use serde_json::Value;

use crate::error::Error;

/// The audiences a token was issued for (`aud`, RFC 7519 section 4.1.3): a single string or an
/// array of strings.
///
/// ```
/// use scopegate_core::Audience;
///
/// let audience = Audience::Many(vec!["orders-api".into(), "billing-api".into()]);
/// assert!(audience.contains("orders-api"));
/// assert_eq!(audience.iter().count(), 2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Audience {
    /// `"aud": "orders-api"`.
    One(String),
    /// `"aud": ["orders-api", "billing-api"]`.
    Many(Vec<String>),
}

impl Audience {
    /// Whether `audience` is one of the token's audiences (exact string comparison).
    pub fn contains(&self, audience: &str) -> bool {
        self.iter().any(|candidate| candidate == audience)
    }

    /// The audiences, in token order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let slice: &[String] = match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        };
        slice.iter().map(String::as_str)
    }

    /// Reads the claim from its JSON value.
    pub(crate) fn from_claim(value: Value) -> Result<Self, Error> {
        const EXPECTED: &str = "a string or an array of strings";
        match value {
            Value::String(one) => Ok(Self::One(one)),
            Value::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    Value::String(audience) => Ok(audience),
                    _ => Err(Error::invalid_claim("aud", EXPECTED)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Self::Many),
            _ => Err(Error::invalid_claim("aud", EXPECTED)),
        }
    }
}

/// Serializes as the token had it: a string or an array.
impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(one) => serializer.serialize_str(one),
            Self::Many(many) => {
                let mut seq = serializer.serialize_seq(Some(many.len()))?;
                for audience in many {
                    seq.serialize_element(audience)?;
                }
                seq.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn string_or_array() {
        assert_eq!(Audience::from_claim(json!("a")).unwrap(), Audience::One("a".into()));
        let many = Audience::from_claim(json!(["a", "b"])).unwrap();
        assert!(many.contains("b") && !many.contains("c"));
        assert_eq!(serde_json::to_value(&many).unwrap(), json!(["a", "b"]));
    }

    #[test]
    fn other_types_are_errors() {
        for value in [json!(1), json!(null), json!({"a": 1}), json!(["a", 1]), json!(true)] {
            assert_eq!(Audience::from_claim(value).unwrap_err().kind(), ErrorKind::InvalidClaim);
        }
    }
}
