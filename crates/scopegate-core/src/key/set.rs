//! A JSON Web Key Set (RFC 7517 section 5).

use serde_json::Value;

use super::VerificationKey;
use crate::error::Error;
use crate::json;

/// The largest JWKS document accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 512 * 1024;
/// The most keys a JWKS may hold.
pub const MAX_JWKS_KEYS: usize = 100;

/// A set of verification keys, usually read from a JWKS document.
///
/// Keys that cannot verify signatures (`use: enc`, symmetric `oct` keys, RSA under 2048 bits,
/// unknown key types or curves) are skipped with a `tracing` warning; they do not make the
/// whole set unusable.
///
/// ```
/// use scopegate_core::KeySet;
///
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// # let jwks_json = issuer.jwks_json();
/// let keys = KeySet::from_jwks_json(&jwks_json)?;
/// assert_eq!(keys.len(), 1);
/// # Ok::<(), scopegate_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct KeySet {
    keys: Vec<VerificationKey>,
    skipped: usize,
}

impl KeySet {
    /// Parses a JWKS document: `{"keys": [...]}`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) when the document is over
    /// [`MAX_JWKS_BYTES`], holds more than [`MAX_JWKS_KEYS`] keys, is not a JWKS, or has no
    /// usable signature key.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        Self::from_jwks_bytes(json.as_bytes())
    }

    /// Parses a JWKS document from bytes; see [`KeySet::from_jwks_json`].
    ///
    /// # Errors
    ///
    /// As [`KeySet::from_jwks_json`].
    pub fn from_jwks_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(Error::key(format!(
                "the JWKS is larger than {} KiB",
                MAX_JWKS_BYTES / 1024
            )));
        }
        let mut document =
            json::parse_object(bytes).map_err(|_| Error::key("the JWKS is not a JSON object"))?;
        let Some(Value::Array(entries)) = document.remove("keys") else {
            return Err(Error::key("the JWKS has no `keys` array"));
        };
        if entries.len() > MAX_JWKS_KEYS {
            return Err(Error::key(format!("the JWKS holds more than {MAX_JWKS_KEYS} keys")));
        }
        let mut keys = Vec::with_capacity(entries.len());
        let mut skipped = 0;
        for entry in entries {
            let kid = entry.get("kid").and_then(Value::as_str).map(str::to_owned);
            let parsed = match &entry {
                Value::Object(object) => VerificationKey::from_jwk_object(object),
                _ => Err(Error::key("the entry is not a JWK")),
            };
            match parsed {
                Ok(key) => keys.push(key),
                Err(error) => {
                    skipped += 1;
                    tracing::warn!(kid = kid.as_deref(), reason = %error, "skipping unusable JWKS key");
                }
            }
        }
        if keys.is_empty() {
            return Err(Error::key("the JWKS holds no usable signature key"));
        }
        Ok(Self { keys, skipped })
    }

    /// The keys.
    pub fn keys(&self) -> &[VerificationKey] {
        &self.keys
    }

    /// How many entries of the source document were skipped as unusable.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set has no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl IntoIterator for KeySet {
    type Item = VerificationKey;
    type IntoIter = std::vec::IntoIter<VerificationKey>;

    fn into_iter(self) -> Self::IntoIter {
        self.keys.into_iter()
    }
}

impl FromIterator<VerificationKey> for KeySet {
    fn from_iter<I: IntoIterator<Item = VerificationKey>>(keys: I) -> Self {
        Self { keys: keys.into_iter().collect(), skipped: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const ED: &str = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;

    #[test]
    fn skips_unusable_keys() {
        let json = format!(
            r#"{{"keys":[{ED},{{"kty":"oct","k":"AAAA"}},{{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB"}},{{"kty":"XYZ"}},7]}}"#
        );
        let set = KeySet::from_jwks_json(&json).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.skipped(), 4);
        assert_eq!(set.keys()[0].key_id(), Some("ed"));
    }

    #[test]
    fn refuses_documents_without_usable_keys() {
        for json in [
            r#"{"keys":[]}"#,
            r#"{"keys":[{"kty":"oct","k":"AAAA"}]}"#,
            r#"{}"#,
            r#"{"keys":{}}"#,
            "[]",
            "{",
        ] {
            assert_eq!(
                KeySet::from_jwks_json(json).unwrap_err().kind(),
                ErrorKind::InvalidKey,
                "{json}"
            );
        }
    }

    #[test]
    fn is_bounded() {
        let many = format!(r#"{{"keys":[{}]}}"#, vec![ED; MAX_JWKS_KEYS + 1].join(","));
        assert!(
            KeySet::from_jwks_json(&many).unwrap_err().message().contains("more than 100 keys")
        );
        let huge = format!(r#"{{"keys":[{ED}],"pad":"{}"}}"#, "a".repeat(MAX_JWKS_BYTES));
        assert!(KeySet::from_jwks_json(&huge).unwrap_err().message().contains("larger than"));
        let duplicate = format!(r#"{{"keys":[{ED}],"keys":[]}}"#);
        assert!(KeySet::from_jwks_json(&duplicate).is_err());
    }
}
