//! Public keys in PEM form (RFC 7468): SubjectPublicKeyInfo, PKCS#1 and X.509 certificates.
//!
//! PEM through `pem-rfc7468`, DER through `spki` and `pkcs1` (RustCrypto): no hand-written
//! ASN.1 on a path that reads configuration.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, SliceReader, Tag, Tagged};
use spki::SubjectPublicKeyInfoRef;

use super::VerificationKey;
use crate::crypto::KeyMaterial;
use crate::error::Error;

const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The largest PEM text accepted.
const MAX_PEM_BYTES: usize = 64 * 1024;

impl VerificationKey {
    /// Reads a public key in PEM form: `PUBLIC KEY` (SubjectPublicKeyInfo with RSA, EC P-256 or
    /// P-384, or Ed25519), `RSA PUBLIC KEY` (PKCS#1), or a `CERTIFICATE` whose key is used as is
    /// (the certificate itself is not validated).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for anything else, including
    /// private keys: a resource server never needs one.
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Self, Error> {
        let pem = pem.as_ref();
        if pem.len() > MAX_PEM_BYTES {
            return Err(Error::key("the PEM is larger than 64 KiB"));
        }
        let (label, der) = pem_rfc7468::decode_vec(pem)
            .map_err(|_| Error::key("the text is not one PEM block"))?;
        if label.ends_with("PRIVATE KEY") {
            return Err(Error::key(
                "a private key was given; a resource server needs only the public key",
            ));
        }
        let material = match label {
            "PUBLIC KEY" => {
                let spki = SubjectPublicKeyInfoRef::try_from(der.as_slice())
                    .map_err(|_| Error::key("the PEM does not hold a SubjectPublicKeyInfo"))?;
                from_spki(&spki)?
            }
            "RSA PUBLIC KEY" => rsa(&der)?,
            "CERTIFICATE" => {
                let spki = certificate_spki(&der)
                    .ok_or_else(|| Error::key("the PEM does not hold an X.509 certificate"))?;
                from_spki(&spki)?
            }
            _ => {
                return Err(Error::key(
                    "the PEM must be a `PUBLIC KEY`, `RSA PUBLIC KEY` or `CERTIFICATE`",
                ));
            }
        };
        Ok(Self::new(material))
    }
}

fn unsupported() -> Error {
    Error::key("the PEM does not hold an RSA, EC (P-256, P-384) or Ed25519 public key")
}

fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<KeyMaterial, Error> {
    let key = spki.subject_public_key.as_bytes().ok_or_else(unsupported)?;
    let algorithm = &spki.algorithm;
    if algorithm.oid == RSA_ENCRYPTION {
        rsa(key)
    } else if algorithm.oid == EC_PUBLIC_KEY {
        let curve = algorithm
            .parameters
            .and_then(|parameters| parameters.decode_as::<ObjectIdentifier>().ok())
            .ok_or_else(unsupported)?;
        if curve != SECP256R1 && curve != SECP384R1 {
            return Err(unsupported());
        }
        KeyMaterial::ec(key.to_vec())
    } else if algorithm.oid == ED25519 {
        KeyMaterial::ed25519(key.to_vec())
    } else {
        Err(unsupported())
    }
}

/// A PKCS#1 `RSAPublicKey`.
fn rsa(der: &[u8]) -> Result<KeyMaterial, Error> {
    let key = pkcs1::RsaPublicKey::try_from(der)
        .map_err(|_| Error::key("the PEM does not hold an RSA public key"))?;
    KeyMaterial::rsa(key.modulus.as_bytes(), key.public_exponent.as_bytes())
}

/// The `subjectPublicKeyInfo` of an X.509 certificate (RFC 5280 section 4.1), read without
/// judging anything else in it.
fn certificate_spki(der: &[u8]) -> Option<SubjectPublicKeyInfoRef<'_>> {
    let certificate = AnyRef::from_der(der).ok()?;
    let tbs = first_sequence(certificate)?;
    let mut fields = SliceReader::new(tbs.value()).ok()?;
    let mut field = AnyRef::decode(&mut fields).ok()?;
    if field.tag().is_context_specific() {
        // `[0] EXPLICIT version`; the serial number follows.
        field = AnyRef::decode(&mut fields).ok()?;
    }
    let _serial = field;
    // signature, issuer, validity, subject
    for _ in 0..4 {
        AnyRef::decode(&mut fields).ok()?;
    }
    SubjectPublicKeyInfoRef::decode(&mut fields).ok()
}

/// The first element of a `SEQUENCE`, itself a `SEQUENCE`.
fn first_sequence(any: AnyRef<'_>) -> Option<AnyRef<'_>> {
    if any.tag() != Tag::Sequence {
        return None;
    }
    let mut reader = SliceReader::new(any.value()).ok()?;
    let first = AnyRef::decode(&mut reader).ok()?;
    (first.tag() == Tag::Sequence).then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn private_keys_and_garbage_are_refused() {
        let private =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n";
        let error = VerificationKey::from_pem(private).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidKey);
        assert!(error.message().contains("private key"), "{}", error.message());
        let ec_private = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(VerificationKey::from_pem(ec_private).unwrap_err().message().contains("private"));
        assert_eq!(
            VerificationKey::from_pem("not a pem").unwrap_err().kind(),
            ErrorKind::InvalidKey
        );
        let other = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
        assert!(VerificationKey::from_pem(other).is_err());
    }

    #[test]
    fn an_ed25519_spki_is_read() {
        // RFC 8410 section 10.1.
        let pem = "-----BEGIN PUBLIC KEY-----\n\
                   MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
                   -----END PUBLIC KEY-----\n";
        let key = VerificationKey::from_pem(pem).unwrap();
        assert_eq!(
            format!("{key:?}"),
            r#"VerificationKey { kid: None, kind: "Ed25519", key: "[redacted]" }"#
        );
    }
}
