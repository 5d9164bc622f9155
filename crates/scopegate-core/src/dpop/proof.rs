//! Checking one DPoP proof (RFC 9449 section 4.3) against the request it came with, in two
//! steps so that the costly one runs last: [`check`] runs every check but the signature (size,
//! shape, `typ`, `alg`, the key's shape and size, `htm`, `htu`, `iat`, `ath`) and yields a
//! [`CheckedProof`]; the verifier then checks the token and its `cnf.jkt` against the proof's
//! key, and only then [`CheckedProof::verify_signature`]. A request with a made-up token costs
//! no signature check, whatever key its proof names.
//!
//! The checks read the proof's JSON without building maps (`proof_json`), compare `htu` with
//! the request's URI without normalising when the two are spelled alike, and compare `ath`
//! as bytes: a proof costs a few allocations, not dozens.

use super::proof_json::{self, ProofHeader, ProofPayload};
use super::replay::ProofId;
use super::{Dpop, uri};
use crate::algorithm::Algorithm;
use crate::claims::NumericDate;
use crate::crypto::{PreparedVerifier, sha256};
use crate::error::{Error, ErrorKind};
use crate::jose::{self, CompactToken, base64url};
use crate::json::{Loose, Scalar};
use crate::key::jwk::{PublicJwk, Strictness};

/// The longest `jti` accepted.
pub const MAX_JTI_BYTES: usize = 256;

/// The largest RSA modulus a proof's key may have, in bits: a client picks its own key, and
/// larger keys only make each check dearer.
pub const MAX_PROOF_RSA_BITS: usize = 4096;
/// The largest RSA public exponent a proof's key may have (2^32 + 1).
pub const MAX_PROOF_RSA_EXPONENT: u64 = (1 << 32) + 1;

/// The longest base64url text of a modulus within [`MAX_PROOF_RSA_BITS`] (one leading zero
/// byte allowed): 684 characters.
const MAX_PROOF_RSA_MODULUS_TEXT: usize = (MAX_PROOF_RSA_BITS / 8 + 1).div_ceil(3) * 4;

const RSA_TOO_BIG: &str =
    "the DPoP proof's RSA key is over 4096 bits or its exponent over 2^32 + 1";

/// What a proof was checked against: the request's method, the URI it was sent to (the
/// configured public URL, normalised, followed by the request's path), the access token it
/// came with, and the time.
pub(crate) struct ProofContext<'a> {
    pub(crate) method: &'a str,
    /// [`Dpop::public_url`]: normalised, without a trailing slash.
    pub(crate) public_url: &'a str,
    /// The request's path: absolute, without dot segments ([`Dpop::checked_path`]).
    pub(crate) path: &'a str,
    pub(crate) access_token: &'a str,
    pub(crate) now: u64,
}

/// A proof that passed every check but its signature, the key binding and the replay check.
pub(crate) struct CheckedProof<'a> {
    key: PublicJwk,
    algorithm: Algorithm,
    signing_input: &'a str,
    signature: &'a str,
    jti: String,
    pub(crate) issued_at: u64,
    pub(crate) nonce: Option<String>,
}

impl CheckedProof<'_> {
    /// The RFC 7638 thumbprint of its key.
    ///
    /// # Errors
    ///
    /// Never for a key [`check`] accepted.
    pub(crate) fn jkt(&self) -> Result<String, Error> {
        self.key.thumbprint()
    }

    /// The identity of the proof for the replay store, given its key's thumbprint.
    pub(crate) fn id(&self, jkt: &str) -> ProofId {
        ProofId::new(jkt, &self.jti)
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
        let (mut stack, mut heap) = ([0u8; 512], Vec::new());
        let signature = jose::decode_into(self.signature, "signature", &mut stack, &mut heap)
            .map_err(|_| malformed())?;
        if verifier.verify(self.signing_input.as_bytes(), signature) {
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

fn malformed() -> Error {
    refuse(ErrorKind::DpopProofMalformed, "the DPoP proof is not a compact JWS with JSON parts")
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
    if proof.len() > dpop.max_proof_bytes {
        return Err(refuse(
            ErrorKind::DpopProofMalformed,
            "the DPoP proof is larger than this resource accepts",
        ));
    }
    let parts = CompactToken::split(proof).map_err(|_| malformed())?;
    let (mut stack, mut heap) = ([0u8; 1024], Vec::new());
    let header = jose::decode_into(parts.header, "header", &mut stack, &mut heap)
        .map_err(|_| malformed())?;
    let header = proof_json::header(header).map_err(|_| {
        refuse(ErrorKind::DpopProofMalformed, "the DPoP proof's header is not a JSON object")
    })?;
    let (key, algorithm) = judge_header(header, dpop)?;
    let (mut stack, mut heap) = ([0u8; 512], Vec::new());
    let payload = jose::decode_into(parts.payload, "payload", &mut stack, &mut heap)
        .map_err(|_| malformed())?;
    let payload = proof_json::payload(payload).map_err(|_| {
        refuse(ErrorKind::DpopProofMalformed, "the DPoP proof's payload is not a JSON object")
    })?;
    let (jti, issued_at, nonce) = judge_payload(payload, dpop, context)?;
    Ok(CheckedProof {
        key,
        algorithm,
        signing_input: parts.signing_input,
        signature: parts.signature,
        jti,
        issued_at,
        nonce,
    })
}

/// `typ`, `alg`, `jwk`; extensions this server does not understand are refused.
fn judge_header(header: ProofHeader<'_>, dpop: &Dpop) -> Result<(PublicJwk, Algorithm), Error> {
    use ErrorKind::{DpopProofAlgorithm, DpopProofKey, DpopProofMalformed, DpopProofType};
    if header.extension {
        return Err(refuse(
            DpopProofMalformed,
            "the DPoP proof uses a header extension (`crit`, `b64`)",
        ));
    }
    match &header.typ {
        Some(Scalar::Str(typ)) if is_dpop_type(typ) => {}
        _ => return Err(refuse(DpopProofType, "the DPoP proof's `typ` is not `dpop+jwt`")),
    }
    let algorithm = match &header.alg {
        Some(Scalar::Str(name)) => Algorithm::from_name(name)
            .filter(|algorithm| !algorithm.is_symmetric() && dpop.algorithms.contains(*algorithm))
            .ok_or_else(|| {
                refuse(
                    DpopProofAlgorithm,
                    "the DPoP proof's `alg` is not one this resource accepts",
                )
            })?,
        _ => return Err(refuse(DpopProofAlgorithm, "the DPoP proof has no `alg`")),
    };
    let Some(Some(jwk)) = &header.jwk else {
        return Err(refuse(DpopProofKey, "the DPoP proof has no `jwk` object"));
    };
    // A modulus too long for the cap is refused by its length, before it is decoded.
    if matches!(&jwk.n, Some(Scalar::Str(n)) if n.len() > MAX_PROOF_RSA_MODULUS_TEXT) {
        return Err(refuse(DpopProofKey, RSA_TOO_BIG));
    }
    let key = PublicJwk::from_members(jwk, Strictness::Presented).map_err(|_| {
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
        return Err(refuse(DpopProofKey, RSA_TOO_BIG));
    }
    Ok((key, algorithm))
}

/// `jti`, `htm`, `htu`, `iat`, `ath`, `nonce`.
fn judge_payload(
    payload: ProofPayload<'_>,
    dpop: &Dpop,
    context: &ProofContext<'_>,
) -> Result<(String, u64, Option<String>), Error> {
    use ErrorKind::{
        DpopProofMalformed, DpopProofMethod, DpopProofReplayed, DpopProofTime, DpopProofTokenHash,
        DpopProofUri,
    };
    let jti = match &payload.jti {
        Some(Scalar::Str(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_BYTES => jti,
        _ => return Err(refuse(DpopProofReplayed, "the DPoP proof has no usable `jti`")),
    };
    if text(&payload.htm) != Some(context.method) {
        return Err(refuse(DpopProofMethod, "the DPoP proof's `htm` is not the request's method"));
    }
    if !text(&payload.htu).is_some_and(|htu| names_the_request(htu, context)) {
        return Err(refuse(DpopProofUri, "the DPoP proof's `htu` is not the request's URI"));
    }
    let issued_at = match &payload.iat {
        Some(Loose::Value(value)) => NumericDate::from_claim("iat", value)
            .map_err(|_| refuse(DpopProofTime, "the DPoP proof's `iat` is not a NumericDate"))?
            .as_secs(),
        Some(Loose::Str(_)) => {
            return Err(refuse(DpopProofTime, "the DPoP proof's `iat` is not a NumericDate"));
        }
        None => return Err(refuse(DpopProofTime, "the DPoP proof has no `iat`")),
    };
    let (max_age, skew) = (dpop.max_age.as_secs(), dpop.future_skew.as_secs());
    if issued_at > context.now.saturating_add(skew)
        || context.now > issued_at.saturating_add(max_age)
    {
        return Err(refuse(DpopProofTime, "the DPoP proof's `iat` is outside the accepted window"));
    }
    if !text(&payload.ath).is_some_and(|ath| hashes(ath, context.access_token)) {
        return Err(refuse(
            DpopProofTokenHash,
            "the DPoP proof's `ath` is not the hash of the access token",
        ));
    }
    let nonce = match &payload.nonce {
        None => None,
        Some(Scalar::Str(nonce)) => Some(nonce.to_string()),
        Some(Scalar::Other) => {
            return Err(refuse(DpopProofMalformed, "the DPoP proof's `nonce` is not a string"));
        }
    };
    Ok((jti.to_string(), issued_at, nonce))
}

fn text<'m>(member: &'m Option<Scalar<'_>>) -> Option<&'m str> {
    match member {
        Some(Scalar::Str(value)) => Some(value),
        _ => None,
    }
}

/// Whether `htu` names the request's URI (RFC 9449 section 4.3, point 9). Spelled exactly as
/// the public URL followed by the path, it does (the normal forms of equal strings are equal);
/// otherwise both are normalised and compared.
fn names_the_request(htu: &str, context: &ProofContext<'_>) -> bool {
    let (public, path) = (context.public_url, context.path);
    if htu.len() == public.len() + path.len() && htu.starts_with(public) && htu.ends_with(path) {
        return true;
    }
    let target = uri::normalize(&format!("{public}{path}"));
    target.is_some() && uri::normalize(htu) == target
}

/// Whether `ath` is the base64url SHA-256 of `token`, compared as bytes.
fn hashes(ath: &str, token: &str) -> bool {
    let mut decoded = [0u8; 33];
    base64url::decode_to(ath.as_bytes(), &mut decoded)
        .is_ok_and(|hash| *hash == sha256(token.as_bytes()))
}

/// Media types are case-insensitive, and `application/` may be left out (RFC 7515 4.1.9).
fn is_dpop_type(typ: &str) -> bool {
    let bare = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => typ.get(12..).unwrap_or(typ),
        _ => typ,
    };
    bare.eq_ignore_ascii_case("dpop+jwt")
}
