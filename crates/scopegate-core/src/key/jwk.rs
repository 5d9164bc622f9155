//! Reading one JSON Web Key (RFC 7517, RFC 7518 section 6, RFC 8037).

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, KeyOperations, PublicKeyUse,
};

use super::{KeyMaterial, VerificationKey};
use crate::error::Error;

/// base64url, with or without padding: some providers pad their JWK members.
const JWK_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The largest single JWK accepted by [`VerificationKey::from_jwk_json`].
const MAX_JWK_BYTES: usize = 64 * 1024;

impl VerificationKey {
    /// Reads a public JWK: `RSA`, `EC` (`P-256`, `P-384`) or `OKP` (`Ed25519`). Its `kid`
    /// becomes the key ID and its `alg`, if present, pins the algorithm.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for keys that must not verify
    /// signatures: `use` other than `sig`, `key_ops` without `verify`, an encryption `alg`,
    /// symmetric (`oct`) keys (use [`VerificationKey::hmac_secret`]), unsupported curves and
    /// key types, and malformed members.
    pub fn from_jwk(jwk: &Jwk) -> Result<Self, Error> {
        let common = &jwk.common;
        match &common.public_key_use {
            None | Some(PublicKeyUse::Signature) => {}
            Some(_) => {
                return Err(Error::key("the JWK is not for signatures (`use` is not `sig`)"));
            }
        }
        if let Some(operations) = &common.key_operations
            && !operations.contains(&KeyOperations::Verify)
        {
            return Err(Error::key("the JWK's `key_ops` do not include `verify`"));
        }
        let algorithm = match common.key_algorithm {
            None => None,
            Some(key_algorithm) => Some(signature_algorithm(key_algorithm)?),
        };
        let material = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let modulus = decode(&rsa.n, "n")?;
                let exponent = decode(&rsa.e, "e")?;
                KeyMaterial::rsa(&modulus, &exponent)?
            }
            AlgorithmParameters::EllipticCurve(ec) => {
                let size = match ec.curve {
                    EllipticCurve::P256 => 32,
                    EllipticCurve::P384 => 48,
                    _ => {
                        return Err(Error::key(
                            "only the P-256 and P-384 curves are supported for EC keys",
                        ));
                    }
                };
                let (x, y) = (decode(&ec.x, "x")?, decode(&ec.y, "y")?);
                if x.len() != size || y.len() != size {
                    return Err(Error::key("the EC key's coordinates do not fit its curve"));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                KeyMaterial::ec(point)?
            }
            AlgorithmParameters::OctetKeyPair(okp) => {
                if okp.curve != EllipticCurve::Ed25519 {
                    return Err(Error::key("only the Ed25519 curve is supported for OKP keys"));
                }
                KeyMaterial::ed25519(decode(&okp.x, "x")?)?
            }
            AlgorithmParameters::OctetKey(_) => {
                return Err(Error::key(
                    "symmetric (`oct`) JWKs are not accepted; configure VerificationKey::hmac_secret",
                ));
            }
            _ => return Err(Error::key("the JWK's key type is not supported")),
        };
        let mut key = Self::new(material);
        if let Some(kid) = &common.key_id {
            key = key.with_key_id(kid.clone());
        }
        match algorithm {
            Some(algorithm) => key.with_algorithm(algorithm),
            None => Ok(key),
        }
    }

    /// Parses one JWK from JSON; see [`VerificationKey::from_jwk`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for JSON over 64 KiB, JSON that
    /// is not a JWK, and every case of [`VerificationKey::from_jwk`].
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_JWK_BYTES {
            return Err(Error::key("the JWK is larger than 64 KiB"));
        }
        let jwk: Jwk =
            serde_json::from_str(json).map_err(|_| Error::key("the text is not a JWK"))?;
        Self::from_jwk(&jwk)
    }
}

fn signature_algorithm(algorithm: KeyAlgorithm) -> Result<Algorithm, Error> {
    Algorithm::try_from(algorithm)
        .map_err(|_| Error::key("the JWK's `alg` is not a supported signature algorithm"))
}

fn decode(member: &str, name: &str) -> Result<Vec<u8>, Error> {
    JWK_BASE64
        .decode(member)
        .map_err(|_| Error::key(format!("the JWK member `{name}` is not base64url")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    const RSA_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn reads_an_rsa_jwk() {
        let json = format!(
            r#"{{"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"{RSA_N}","e":"AQAB"}}"#
        );
        let key = VerificationKey::from_jwk_json(&json).unwrap();
        assert_eq!(key.key_id(), Some("k1"));
        assert_eq!(key.algorithms(), [Algorithm::RS256]);
    }

    #[test]
    fn refuses_keys_not_meant_for_signatures() {
        let cases = [
            (format!(r#"{{"kty":"RSA","use":"enc","n":"{RSA_N}","e":"AQAB"}}"#), "`use`"),
            (
                format!(r#"{{"kty":"RSA","key_ops":["encrypt"],"n":"{RSA_N}","e":"AQAB"}}"#),
                "`key_ops`",
            ),
            (format!(r#"{{"kty":"RSA","alg":"RSA-OAEP","n":"{RSA_N}","e":"AQAB"}}"#), "`alg`"),
            (format!(r#"{{"kty":"RSA","alg":"ES256","n":"{RSA_N}","e":"AQAB"}}"#), "cannot verify"),
            (
                r#"{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}"#.to_owned(),
                "symmetric",
            ),
            (r#"{"kty":"EC","crv":"P-521","x":"AA","y":"AA"}"#.to_owned(), "P-256"),
            (r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#.to_owned(), "coordinates"),
            (r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#.to_owned(), "32 bytes"),
            (r#"{"kty":"ML-DSA","pub":"AA"}"#.to_owned(), "key type"),
            (r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#.to_owned(), "2048"),
            (r#"{"kty":"RSA","n":"!!!","e":"AQAB"}"#.to_owned(), "base64url"),
            (r#"[]"#.to_owned(), "not a JWK"),
        ];
        for (json, expected) in cases {
            let error = VerificationKey::from_jwk_json(&json).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidKey, "{json}");
            assert!(error.message().contains(expected), "{json}: {}", error.message());
        }
    }

    #[test]
    fn padded_members_are_tolerated() {
        let padded =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#;
        assert!(VerificationKey::from_jwk_json(padded).is_ok());
    }
}
