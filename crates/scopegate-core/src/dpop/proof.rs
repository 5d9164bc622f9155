//! Checking one DPoP proof (RFC 9449 section 4.3) against the request it came with, in two
//! steps so that the costly one runs last: [`check`] runs every check but the signature (size,
//! shape, `typ`, `alg`, the key's shape and size, `htm`, `htu`, `iat`, `ath`) and yields a
//! [`CheckedProof`]; the verifier then checks the token and its `cnf.jkt` against the proof's
//! key, and only then [`CheckedProof::verify_signature`]. A request with a made-up token costs
//! no signature check, whatever key its proof names.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::replay::ProofId;
use super::{Dpop, uri};
use crate::algorithm::Algorithm;
use crate::claims::NumericDate;
use crate::crypto::{PreparedVerifier, sha256};
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken};
use crate::json;
use crate::key::jwk::{PublicJwk, Strictness};

/// The longest `jti` accepted.
pub const MAX_JTI_BYTES: usize = 256;

/// What a proof was checked against: the request's method and URI, the access token it came
/// with, and the time.
pub(crate) struct ProofContext<'a> {
    pub(crate) method: &'a str,
    /// The request's target URI, normalised (`uri::normalize`).
    pub(crate) target: &'a str,
    pub(crate) access_token: &'a str,
    pub(crate) now: u64,
}

/// The largest RSA modulus a proof's key may have, in bits: a client picks its own key, and
/// larger keys only make each check dearer.
pub const MAX_PROOF_RSA_BITS: usize = 4096;
/// The largest RSA public exponent a proof's key may have (2^32 + 1).
pub const MAX_PROOF_RSA_EXPONENT: u64 = (1 << 32) + 1;

/// A proof that passed every check but its signature, the key binding and the replay check.
pub(crate) struct CheckedProof<'a> {
    key: PublicJwk,
    algorithm: Algorithm,
    signing_input: &'a str,
    signature: Vec<u8>,
    pub(crate) id: ProofId,
    pub(crate) issued_at: u64,
    pub(crate) nonce: Option<String>,
}

impl CheckedProof<'_> {
    /// The RFC 7638 thumbprint of its key.
    pub(crate) fn jkt(&self) -> &str {
        &self.key.thumbprint
    }

    /// The last check, and the only costly one: the signature, with the proof's own key.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DpopProofKey`] for a key the backend refuses,
    /// [`ErrorKind::DpopProofSignature`] for a signature that does not verify.
    pub(crate) fn verify_signature(&self) -> Result<(), Error> {
        let verifier = PreparedVerifier::new(&self.key.material, self.algorithm).map_err(|_| {
            refuse(ErrorKind::DpopProofKey, "the DPoP proof's `jwk` is not a usable key")
        })?;
        if verifier.verify(self.signing_input.as_bytes(), &self.signature) {
            Ok(())
        } else {
            Err(refuse(
                ErrorKind::DpopProofSignature,
                "the DPoP proof's signature does not verify with its `jwk`",
            ))
        }
    }
}

fn refuse(kind: ErrorKind, message: &'static str) -> Error {
    Error::new(kind, message)
}

/// Runs every check of `proof` but its signature.
///
/// # Errors
///
/// An error whose kind names the failed check (every one of class
/// [`InvalidDpopProof`](crate::ErrorClass::InvalidDpopProof)).
pub(crate) fn check<'a>(
    proof: &'a str,
    dpop: &Dpop,
    context: &ProofContext<'_>,
) -> Result<CheckedProof<'a>, Error> {
    use ErrorKind::{
        DpopProofAlgorithm, DpopProofKey, DpopProofMalformed, DpopProofMethod, DpopProofReplayed,
        DpopProofTime, DpopProofTokenHash, DpopProofType, DpopProofUri,
    };
    if proof.len() > dpop.max_proof_bytes {
        return Err(refuse(
            DpopProofMalformed,
            "the DPoP proof is larger than this resource accepts",
        ));
    }
    let malformed =
        |_| refuse(DpopProofMalformed, "the DPoP proof is not a compact JWS with JSON parts");
    let parts = CompactToken::split(proof).map_err(malformed)?;
    let header = jose::decode_segment(parts.header, "header").map_err(malformed)?;
    let header = json::parse_object(&header)
        .map_err(|_| refuse(DpopProofMalformed, "the DPoP proof's header is not a JSON object"))?;
    let payload = jose::decode_segment(parts.payload, "payload").map_err(malformed)?;
    let payload = json::parse_object(&payload)
        .map_err(|_| refuse(DpopProofMalformed, "the DPoP proof's payload is not a JSON object"))?;
    let signature = jose::decode_segment(parts.signature, "signature").map_err(malformed)?;

    // Header: `typ`, `alg`, `jwk`; extensions this server does not understand are refused.
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(refuse(
            DpopProofMalformed,
            "the DPoP proof uses a header extension (`crit`, `b64`)",
        ));
    }
    match header.get("typ") {
        Some(Value::String(typ)) if is_dpop_type(typ) => {}
        _ => return Err(refuse(DpopProofType, "the DPoP proof's `typ` is not `dpop+jwt`")),
    }
    let algorithm = match header.get("alg") {
        Some(Value::String(name)) => Algorithm::from_name(name)
            .filter(|algorithm| !algorithm.is_symmetric() && dpop.algorithms.contains(*algorithm))
            .ok_or_else(|| {
                refuse(
                    DpopProofAlgorithm,
                    "the DPoP proof's `alg` is not one this resource accepts",
                )
            })?,
        _ => return Err(refuse(DpopProofAlgorithm, "the DPoP proof has no `alg`")),
    };
    let Some(Value::Object(jwk)) = header.get("jwk") else {
        return Err(refuse(DpopProofKey, "the DPoP proof has no `jwk` object"));
    };
    let key = PublicJwk::from_object(jwk, Strictness::Presented).map_err(|_| {
        refuse(DpopProofKey, "the DPoP proof's `jwk` is not a public signature key")
    })?;
    if key.algorithm.is_some_and(|pinned| pinned != algorithm)
        || !key.material.family_algorithms().contains(&algorithm)
    {
        return Err(refuse(DpopProofKey, "the DPoP proof's `jwk` does not fit its `alg`"));
    }
    if key.material.rsa_size().is_some_and(|(bits, exponent)| {
        bits > MAX_PROOF_RSA_BITS || exponent > MAX_PROOF_RSA_EXPONENT
    }) {
        return Err(refuse(
            DpopProofKey,
            "the DPoP proof's RSA key is over 4096 bits or its exponent over 2^32 + 1",
        ));
    }

    // Payload: `jti`, `htm`, `htu`, `iat`, `ath`, `nonce`.
    let jti = match payload.get("jti") {
        Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_BYTES => jti,
        _ => return Err(refuse(DpopProofReplayed, "the DPoP proof has no usable `jti`")),
    };
    if string(&payload, "htm") != Some(context.method) {
        return Err(refuse(DpopProofMethod, "the DPoP proof's `htm` is not the request's method"));
    }
    let htu = string(&payload, "htu").and_then(uri::normalize);
    if htu.as_deref() != Some(context.target) {
        return Err(refuse(DpopProofUri, "the DPoP proof's `htu` is not the request's URI"));
    }
    let issued_at = match payload.get("iat") {
        Some(value) => NumericDate::from_claim("iat", value)
            .map_err(|_| refuse(DpopProofTime, "the DPoP proof's `iat` is not a NumericDate"))?
            .as_secs(),
        None => return Err(refuse(DpopProofTime, "the DPoP proof has no `iat`")),
    };
    let (max_age, skew) = (dpop.max_age.as_secs(), dpop.future_skew.as_secs());
    if issued_at > context.now.saturating_add(skew)
        || context.now > issued_at.saturating_add(max_age)
    {
        return Err(refuse(DpopProofTime, "the DPoP proof's `iat` is outside the accepted window"));
    }
    let expected = URL_SAFE_NO_PAD.encode(sha256(context.access_token.as_bytes()));
    if string(&payload, "ath") != Some(expected.as_str()) {
        return Err(refuse(
            DpopProofTokenHash,
            "the DPoP proof's `ath` is not the hash of the access token",
        ));
    }
    let nonce = match payload.get("nonce") {
        None => None,
        Some(Value::String(nonce)) => Some(nonce.clone()),
        Some(_) => {
            return Err(refuse(DpopProofMalformed, "the DPoP proof's `nonce` is not a string"));
        }
    };
    let id = ProofId::new(&key.thumbprint, jti);
    Ok(CheckedProof {
        key,
        algorithm,
        signing_input: parts.signing_input,
        signature,
        id,
        issued_at,
        nonce,
    })
}

fn string<'a>(members: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    match members.get(name) {
        Some(Value::String(value)) => Some(value),
        _ => None,
    }
}

/// Media types are case-insensitive, and `application/` may be left out (RFC 7515 4.1.9).
fn is_dpop_type(typ: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..).unwrap_or(typ),
        _ => typ,
    };
    bare.eq_ignore_ascii_case("dpop+jwt")
}
