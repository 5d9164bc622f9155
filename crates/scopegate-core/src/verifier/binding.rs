//! The sender-constraint rule (`cnf`): what a bound token needs besides itself.
//!
//! - bound to a DPoP key (`jkt`): a DPoP proof by that key (checked by
//!   [`Verifier::verify_dpop`](super::Verifier::verify_dpop) before this rule runs);
//! - bound to a certificate (`x5t#S256`): the request's TLS client certificate, hashing to it
//!   (RFC 8705 section 3);
//! - bound by nothing scopegate can check: never accepted.
//!
//! A token may carry both; each binding it carries must hold. An unbound token needs nothing,
//! whatever the request presents.

use crate::certificate::CertificateThumbprint;
use crate::claims::Claims;
use crate::error::{Error, ErrorKind};

/// Checks the bindings of `claims` against what the request presented: its client certificate,
/// and whether a DPoP proof for the token's key was verified.
pub(crate) fn check(
    claims: &Claims,
    certificate: Option<&CertificateThumbprint>,
    dpop_proven: bool,
) -> Result<(), Error> {
    let Some(confirmation) = claims.confirmation() else { return Ok(()) };
    let (key, bound_certificate) =
        (confirmation.key_thumbprint(), confirmation.certificate_thumbprint());
    if key.is_none() && bound_certificate.is_none() {
        return Err(Error::new(
            ErrorKind::SenderConstrained,
            "the token is bound (`cnf`) by a confirmation method this resource cannot check",
        ));
    }
    if key.is_some() && !dpop_proven {
        return Err(Error::new(
            ErrorKind::SenderConstrained,
            "the token is sender-constrained (`cnf`) and cannot be used as a bearer token",
        ));
    }
    if let Some(bound) = bound_certificate {
        match certificate {
            None => {
                let message = "the token is bound to a TLS client certificate and the request \
                               presented none";
                return Err(Error::new(ErrorKind::ClientCertificateMissing, message));
            }
            Some(presented) if presented.as_str() != bound => {
                let message =
                    "the request's TLS client certificate is not the one the token is bound to";
                return Err(Error::new(ErrorKind::ClientCertificateMismatch, message));
            }
            Some(_) => {}
        }
    }
    Ok(())
}
