//! Reading one JSON Web Key (RFC 7517, RFC 7518 section 6, RFC 8037) and its thumbprint (RFC
//! 7638), with scopegate's own parser: no dependency's JWK type is part of the API.

use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

use super::VerificationKey;
use super::jwk_members::{JwkMembers, KeyOps};
use crate::algorithm::Algorithm;
use crate::crypto::{Curve, KeyMaterial, sha256};
use crate::error::Error;
use crate::json::{self, Scalar};

/// base64url, with or without padding: some providers pad their JWK members.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The largest single JWK accepted by [`VerificationKey::from_jwk_json`].
pub(crate) const MAX_JWK_BYTES: usize = 64 * 1024;

/// How strictly member values are decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// Configuration and JWKS documents: padding tolerated, `use` / `key_ops` / `alg` honoured.
    Published,
    /// A key sent by a client (a DPoP proof's `jwk`): unpadded base64url only.
    Presented,
}

/// A public JWK, read and checked.
#[derive(Clone)]
pub(crate) struct PublicJwk {
    pub(crate) material: KeyMaterial,
    pub(crate) key_id: Option<String>,
    pub(crate) algorithm: Option<Algorithm>,
}

impl PublicJwk {
    /// Reads a JWK from a parsed JSON object.
    pub(crate) fn from_object(jwk: &Map<String, Value>, mode: Strictness) -> Result<Self, Error> {
        Self::from_members(&JwkMembers::from_object(jwk), mode)
    }

    /// Judges the members of a JWK, however they were read.
    pub(crate) fn from_members(jwk: &JwkMembers<'_>, mode: Strictness) -> Result<Self, Error> {
        if let Some(member) = jwk.private {
            return Err(Error::key(if member == "k" {
                "symmetric (`oct`) JWKs are not accepted; configure VerificationKey::hmac_secret"
            } else {
                "the JWK holds private key material; publish only public keys"
            }));
        }
        match text(&jwk.key_use, "use")? {
            None | Some("sig") => {}
            Some(_) => {
                return Err(Error::key("the JWK is not for signatures (`use` is not `sig`)"));
            }
        }
        match jwk.key_ops {
            None | Some(KeyOps::Verify) => {}
            Some(KeyOps::NotAnArray) => {
                return Err(Error::key("the JWK member `key_ops` must be an array"));
            }
            Some(KeyOps::Others) => {
                return Err(Error::key("the JWK's `key_ops` do not include `verify`"));
            }
        }
        let algorithm = match text(&jwk.alg, "alg")? {
            None => None,
            Some(name) => Some(Algorithm::from_name(name).ok_or_else(|| {
                Error::key("the JWK's `alg` is not a supported signature algorithm")
            })?),
        };
        let kty = text(&jwk.kty, "kty")?.ok_or_else(|| Error::key("the JWK has no `kty`"))?;
        let decode = |member: &Option<Scalar<'_>>, name: &str| decode(member, name, mode);
        let material = match kty {
            "RSA" => KeyMaterial::rsa(&decode(&jwk.n, "n")?, &decode(&jwk.e, "e")?)?,
            "EC" => {
                let curve = match required(&jwk.crv, "crv")? {
                    "P-256" => Curve::P256,
                    "P-384" => Curve::P384,
                    _ => {
                        return Err(Error::key(
                            "only the P-256 and P-384 curves are supported for EC keys",
                        ));
                    }
                };
                let (x_bytes, y_bytes) = (decode(&jwk.x, "x")?, decode(&jwk.y, "y")?);
                let size = curve.coordinate_len();
                if x_bytes.len() != size || y_bytes.len() != size {
                    return Err(Error::key("the EC key's coordinates do not fit its curve"));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(0x04);
                point.extend_from_slice(&x_bytes);
                point.extend_from_slice(&y_bytes);
                KeyMaterial::ec(point)?
            }
            "OKP" => {
                if required(&jwk.crv, "crv")? != "Ed25519" {
                    return Err(Error::key("only the Ed25519 curve is supported for OKP keys"));
                }
                KeyMaterial::ed25519(decode(&jwk.x, "x")?)?
            }
            "oct" => {
                return Err(Error::key(
                    "symmetric (`oct`) JWKs are not accepted; configure VerificationKey::hmac_secret",
                ));
            }
            _ => return Err(Error::key("the JWK's key type is not supported")),
        };
        if let Some(algorithm) = algorithm
            && !material.family_algorithms().contains(&algorithm)
        {
            return Err(Error::key(format!(
                "this {} key cannot verify {algorithm}",
                material.describe()
            )));
        }
        let key_id = text(&jwk.kid, "kid")?.map(str::to_owned);
        Ok(Self { material, key_id, algorithm })
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub(crate) fn thumbprint(&self) -> Result<String, Error> {
        thumbprint(&self.material)
    }
}

/// The RFC 7638 SHA-256 thumbprint of `material`, from its canonical members re-encoded from
/// the key itself (unpadded base64url, the RSA integers without leading zeros): every spelling
/// of one key (padded or not) has one thumbprint, the one the RFC defines.
fn thumbprint(material: &KeyMaterial) -> Result<String, Error> {
    // `{"e":"..","kty":"RSA","n":".."}`: members in lexical order, no whitespace (RFC 7638).
    let mut canonical = String::with_capacity(1100);
    canonical.push('{');
    let mut member = |name: &str, value: &str, last: bool| {
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":\"");
        canonical.push_str(value);
        canonical.push_str(if last { "\"}" } else { "\"," });
    };
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    match material {
        KeyMaterial::Rsa { modulus, exponent } => {
            member("e", &b64(exponent), false);
            member("kty", "RSA", false);
            member("n", &b64(modulus), true);
        }
        KeyMaterial::Ec { curve, point } => {
            let coordinates = point.get(1..).unwrap_or_default();
            let (x, y) = coordinates.split_at(curve.coordinate_len().min(coordinates.len()));
            member("crv", curve.jwk_name(), false);
            member("kty", "EC", false);
            member("x", &b64(x), false);
            member("y", &b64(y), true);
        }
        KeyMaterial::Ed25519 { public } => {
            member("crv", "Ed25519", false);
            member("kty", "OKP", false);
            member("x", &b64(public), true);
        }
        KeyMaterial::Hmac { .. } => return Err(Error::key("a secret has no JWK thumbprint")),
    }
    Ok(URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes())))
}

/// A member that must be a string when present.
fn text<'m>(member: &'m Option<Scalar<'_>>, name: &str) -> Result<Option<&'m str>, Error> {
    match member {
        None => Ok(None),
        Some(Scalar::Str(value)) => Ok(Some(value)),
        Some(Scalar::Other) => Err(Error::key(format!("the JWK member `{name}` must be a string"))),
    }
}

fn required<'m>(member: &'m Option<Scalar<'_>>, name: &str) -> Result<&'m str, Error> {
    text(member, name)?.ok_or_else(|| Error::key(format!("the JWK has no `{name}`")))
}

fn decode(member: &Option<Scalar<'_>>, name: &str, mode: Strictness) -> Result<Vec<u8>, Error> {
    let text = required(member, name)?;
    let decoded = match mode {
        Strictness::Published => LENIENT_BASE64.decode(text).ok(),
        Strictness::Presented => crate::jose::base64url::decode(text.as_bytes()).ok(),
    };
    decoded.ok_or_else(|| Error::key(format!("the JWK member `{name}` is not base64url")))
}

impl VerificationKey {
    /// Parses one public JWK: `RSA`, `EC` (`P-256`, `P-384`) or `OKP` (`Ed25519`). Its `kid`
    /// becomes the key ID and its `alg`, if present, pins the algorithm.
    ///
    /// ```
    /// use scopegate_core::{Algorithm, VerificationKey};
    ///
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed","alg":"EdDSA",
    ///               "x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    /// let key = VerificationKey::from_jwk_json(jwk)?;
    /// assert_eq!((key.key_id(), key.algorithms()), (Some("ed"), &[Algorithm::EdDSA][..]));
    /// # Ok::<(), scopegate_core::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidKey`](crate::ErrorKind::InvalidKey) for JSON over 64 KiB or that is
    /// not one JSON object (duplicate members refused, nesting capped), and for keys that must
    /// not verify signatures: `use` other than `sig`, `key_ops` without `verify`, an `alg` that
    /// is not a supported signature algorithm or does not fit the key, private key members,
    /// symmetric (`oct`) keys (use [`VerificationKey::hmac_secret`]), unsupported curves and
    /// key types, and malformed members.
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_JWK_BYTES {
            return Err(Error::key("the JWK is larger than 64 KiB"));
        }
        let object = json::parse_object(json.as_bytes())
            .map_err(|_| Error::key("the text is not a JWK (one JSON object)"))?;
        Self::from_jwk_object(&object)
    }

    pub(crate) fn from_jwk_object(object: &Map<String, Value>) -> Result<Self, Error> {
        let jwk = PublicJwk::from_object(object, Strictness::Published)?;
        let mut key = Self::new(jwk.material);
        if let Some(kid) = jwk.key_id {
            key = key.with_key_id(kid);
        }
        match jwk.algorithm {
            Some(algorithm) => key.with_algorithm(algorithm),
            None => Ok(key),
        }
    }
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

    /// RFC 7638 section 3.1: the example key and its thumbprint.
    #[test]
    fn rfc_7638_thumbprint() {
        let json =
            format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"AQAB","alg":"RS256","kid":"2011-04-29"}}"#);
        let object = json::parse_object(json.as_bytes()).unwrap();
        let jwk = PublicJwk::from_object(&object, Strictness::Presented).unwrap();
        assert_eq!(jwk.thumbprint().unwrap(), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
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
            (format!(r#"{{"kty":"RSA","n":"{RSA_N}","e":"AQAB","d":"AQAB"}}"#), "private"),
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
            (r#"{"kty":7}"#.to_owned(), "must be a string"),
            (r#"{"kty":"RSA","kty":"EC"}"#.to_owned(), "not a JWK"),
            (r#"[]"#.to_owned(), "not a JWK"),
        ];
        for (json, expected) in cases {
            let error = VerificationKey::from_jwk_json(&json).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidKey, "{json}");
            assert!(error.message().contains(expected), "{json}: {}", error.message());
        }
    }

    /// A padded spelling of a published key hashes to the RFC 7638 thumbprint of the key, not
    /// of its spelling: the padding never enters the hash.
    #[test]
    fn regression_padding_never_enters_the_thumbprint() {
        let bare =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        let padded =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#;
        let thumbprint = |json: &str| {
            let object = json::parse_object(json.as_bytes()).unwrap();
            PublicJwk::from_object(&object, Strictness::Published).unwrap().thumbprint().unwrap()
        };
        assert_eq!(thumbprint(padded), thumbprint(bare));
        // The RFC 7638 example again, its `n` with a leading zero octet, padded.
        let n = [&[0u8][..], &URL_SAFE_NO_PAD.decode(RSA_N).unwrap()].concat();
        let n = base64::engine::general_purpose::URL_SAFE.encode(n);
        assert!(n.ends_with('='));
        let spelled = format!(r#"{{"kty":"RSA","n":"{n}","e":"AQAB"}}"#);
        assert_eq!(thumbprint(&spelled), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    #[test]
    fn padding_is_tolerated_only_where_published() {
        let padded =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#;
        assert!(VerificationKey::from_jwk_json(padded).is_ok());
        let object = json::parse_object(padded.as_bytes()).unwrap();
        assert!(PublicJwk::from_object(&object, Strictness::Presented).is_err());
    }
}
