//! [`Verifier::verify_dpop`]: a DPoP-bound token and its proof, checked together.

use super::{Verification, Verifier};
use crate::certificate::CertificateThumbprint;
use crate::claims::Claims;
use crate::dpop::Dpop;
use crate::dpop::proof::{self, ProofContext};
use crate::error::{Error, ErrorKind};
use crate::telemetry;

/// The request a DPoP proof must be made for: its method and its path as the server received
/// it (the external URL comes from the [`Dpop`] configuration).
#[derive(Clone, Copy, Debug)]
pub struct DpopRequest<'a> {
    method: &'a str,
    path: &'a str,
    certificate: Option<&'a CertificateThumbprint>,
    tenant: Option<&'a str>,
}

impl<'a> DpopRequest<'a> {
    /// A request with `method` (`GET`) to `path` (`/orders/7`, no query).
    pub fn new(method: &'a str, path: &'a str) -> Self {
        Self { method, path, certificate: None, tenant: None }
    }

    /// The TLS client certificate the request came with, for a token bound to both a DPoP key
    /// and a certificate (`cnf.x5t#S256` beside `cnf.jkt`).
    pub fn with_certificate(mut self, certificate: Option<&'a CertificateThumbprint>) -> Self {
        self.certificate = certificate;
        self
    }

    /// The tenant the request names, for [`Tenants`](crate::Tenants) (see
    /// [`RequestFacts::tenant`](crate::RequestFacts::tenant)).
    pub fn with_tenant(mut self, tenant: Option<&'a str>) -> Self {
        self.tenant = tenant;
        self
    }
}

/// A DPoP request that passed: its claims, and a fresh nonce to send in `DPoP-Nonce` when the
/// proof's nonce is getting old.
#[derive(Debug)]
#[non_exhaustive]
pub struct DpopVerified {
    /// The token's claims.
    pub claims: Claims,
    /// A nonce for the client's next proofs, when one is due.
    pub next_nonce: Option<String>,
}

impl Verifier {
    /// The DPoP configuration, if DPoP is configured.
    pub fn dpop(&self) -> Option<&Dpop> {
        self.inner.dpop.as_ref()
    }

    /// A fresh DPoP nonce at the verifier's time, when nonces are on: for the `DPoP-Nonce`
    /// header of a `use_dpop_nonce` answer.
    pub fn issue_dpop_nonce(&self) -> Option<String> {
        let now = self.inner.clock.now_secs();
        self.inner.dpop.as_ref()?.issue_nonce(now)
    }

    /// Verifies a token presented with the `DPoP` scheme and its `proof` (the `DPoP` header)
    /// for `request`: every proof check of RFC 9449 section 4.3, the token as
    /// [`verify`](Self::verify) checks it, the token's `cnf.jkt` against the proof's key, the
    /// nonce when nonces are on, the token's certificate binding (`cnf.x5t#S256`) when it has
    /// one, and the replay store.
    ///
    /// Cheap before costly: the proof's size, shape, `typ`, `alg`, key shape and size, `htm`,
    /// `htu`, `iat`, `ath` and nonce first; then the token (from the cache, or verified); then
    /// `cnf.jkt` against the proof key's thumbprint; then, only for a request that passed all
    /// of that, the proof's signature; and last the replay store, so that a proof is spent only
    /// by a request that would otherwise pass.
    ///
    /// # Errors
    ///
    /// An [`Error`] of class [`InvalidDpopProof`](crate::ErrorClass::InvalidDpopProof) for a
    /// bad proof, [`UseDpopNonce`](crate::ErrorClass::UseDpopNonce) for a missing or stale
    /// nonce, [`InvalidToken`](crate::ErrorClass::InvalidToken) for a bad token, an unbound
    /// token ([`ErrorKind::NotSenderConstrained`]) or another key
    /// ([`ErrorKind::DpopKeyMismatch`]), and [`Unavailable`](crate::ErrorClass::Unavailable)
    /// when keys, introspection or the replay store cannot answer. A verifier without DPoP
    /// configured refuses with [`ErrorKind::InvalidConfiguration`].
    pub async fn verify_dpop(
        &self,
        token: &str,
        proof: &str,
        request: DpopRequest<'_>,
    ) -> Result<DpopVerified, Error> {
        let inner = &*self.inner;
        let Some(dpop) = &inner.dpop else {
            return Err(Error::config("DPoP is not configured on this verifier"));
        };
        let now = inner.clock.now_secs();
        let path = dpop.checked_path(request.path).ok_or_else(|| {
            Error::new(ErrorKind::DpopProofUri, "the request's path cannot be a DPoP target")
        })?;
        let context = ProofContext {
            method: request.method,
            public_url: &dpop.public_url,
            path,
            access_token: token,
            now,
        };
        let proof = proof::check(proof, dpop, &context)?;
        let next_nonce = match &dpop.nonces {
            None => None,
            Some(nonces) => match &proof.nonce {
                Some(nonce) if nonces.is_valid(nonce, now) => {
                    nonces.is_due_for_renewal(nonce, now).then(|| nonces.issue(now))
                }
                _ => {
                    let message = "this resource requires a fresh server nonce in the DPoP proof";
                    return Err(Error::new(ErrorKind::DpopNonceRequired, message));
                }
            },
        };
        let claims = match self.verify_any_now(token, request.tenant) {
            Verification::Ready(result) => result?,
            Verification::Pending(pending) => pending.await?,
        };
        let jkt = proof.jkt()?;
        match claims.confirmation().and_then(|confirmation| confirmation.key_thumbprint()) {
            None => {
                let message = "the token is not bound to a DPoP key (`cnf.jkt`)";
                return Err(Error::new(ErrorKind::NotSenderConstrained, message));
            }
            Some(bound) if bound != jkt => {
                let message = "the DPoP proof's key is not the key the token is bound to";
                return Err(Error::new(ErrorKind::DpopKeyMismatch, message));
            }
            Some(_) => {}
        }
        // A token bound to a certificate as well needs that certificate too.
        super::binding::check(&claims, request.certificate, true)?;
        proof.verify_signature()?;
        // Remembered for as long as any replica could accept the proof: a constant, so that a
        // replica whose clock is behind cannot accept what a replica ahead has forgotten.
        let seen =
            dpop.replay.check_and_remember(proof.id(&jkt), proof.issued_at, dpop.replay_ttl());
        if !seen.await? {
            telemetry::dpop_replay_refused();
            return Err(Error::new(ErrorKind::DpopProofReplayed, "the DPoP proof was used before"));
        }
        Ok(DpopVerified { claims, next_nonce })
    }
}
