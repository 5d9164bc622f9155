//! [`Confirmation`]: the key a sender-constrained token is bound to (`cnf`, RFC 7800).

use serde_json::Value;

use crate::error::Error;

/// The `cnf` claim of a sender-constrained token: the RFC 7638 thumbprint of the DPoP key it
/// is bound to (`jkt`, RFC 9449 section 6), or another confirmation method scopegate cannot
/// check (such a token is never accepted).
///
/// ```
/// # let issuer = scopegate_testkit::TestIssuer::new();
/// # let verifier = issuer.verifier();
/// # let token = issuer.token().claim("cnf", serde_json::json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"})).sign();
/// // A bound token is refused as a bearer token...
/// let error = verifier.verify_now(&token).into_ready().unwrap().unwrap_err();
/// assert_eq!(error.kind(), scopegate_core::ErrorKind::SenderConstrained);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Confirmation {
    jkt: Option<Box<str>>,
}

impl Confirmation {
    /// Reads `cnf`: an object, whose `jkt`, if present, is a string.
    pub(crate) fn from_claim(value: Option<&Value>) -> Result<Self, Error> {
        let Some(Value::Object(members)) = value else {
            return Err(Error::invalid_claim("cnf", "an object"));
        };
        match members.get("jkt") {
            None => Ok(Self { jkt: None }),
            Some(Value::String(jkt)) => Ok(Self { jkt: Some(jkt.as_str().into()) }),
            Some(_) => Err(Error::invalid_claim("cnf", "an object whose `jkt` is a string")),
        }
    }

    /// `jkt`: the base64url SHA-256 thumbprint of the key a DPoP proof must be signed with.
    pub fn key_thumbprint(&self) -> Option<&str> {
        self.jkt.as_deref()
    }
}
