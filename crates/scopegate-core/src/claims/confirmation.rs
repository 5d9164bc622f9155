//! [`Confirmation`]: the key or certificate a sender-constrained token is bound to (`cnf`,
//! RFC 7800).

use serde_json::Value;

use crate::error::Error;

/// The `cnf` claim of a sender-constrained token: the RFC 7638 thumbprint of the DPoP key it
/// is bound to (`jkt`, RFC 9449 section 6), the SHA-256 thumbprint of the TLS client
/// certificate it is bound to (`x5t#S256`, RFC 8705 section 3.1), or both. A token bound only
/// by another confirmation method is never accepted: scopegate cannot check it.
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
    certificate: Option<Box<str>>,
}

/// The member of `cnf` that names a certificate's SHA-256 thumbprint (RFC 8705 section 3.1).
const CERTIFICATE_MEMBER: &str = "x5t#S256";

impl Confirmation {
    /// Reads `cnf`: an object, whose `jkt` and `x5t#S256`, when present, are strings.
    pub(crate) fn from_claim(value: Option<&Value>) -> Result<Self, Error> {
        let Some(Value::Object(members)) = value else {
            return Err(Error::invalid_claim("cnf", "an object"));
        };
        let member = |name: &str| match members.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(Box::from(text.as_str()))),
            Some(_) => Err(Error::invalid_claim("cnf", "an object whose members are strings")),
        };
        Ok(Self { jkt: member("jkt")?, certificate: member(CERTIFICATE_MEMBER)? })
    }

    /// `jkt`: the base64url SHA-256 thumbprint of the key a DPoP proof must be signed with.
    pub fn key_thumbprint(&self) -> Option<&str> {
        self.jkt.as_deref()
    }

    /// `x5t#S256`: the base64url SHA-256 thumbprint of the TLS client certificate the token
    /// must be presented with.
    pub fn certificate_thumbprint(&self) -> Option<&str> {
        self.certificate.as_deref()
    }
}
