//! Signed introspection answers (RFC 9701) from the test kit's authorization server on
//! 127.0.0.1: an answer signed as the RFC says is used; one that is unsigned, signed by
//! another key, changed after signing, meant for another API or issuer, replayed, or passed
//! off as an access token is refused, and the request is answered `503` (the token may be
//! fine; the answer cannot be trusted). Also: an introspected token bound to a certificate
//! (`cnf.x5t#S256`) gets the same check as a JWT.

use http::StatusCode;
use scopegate::{CertificateThumbprint, ErrorKind};
use scopegate_testkit::{IssuerServer, SignedIntrospection, TestCertificateAuthority};

use super::introspection::{app, call, introspection, verifier};

#[tokio::test]
async fn a_signed_answer_is_used_and_every_bent_one_is_refused() {
    let server = IssuerServer::start().await;
    let verifier = verifier(&server, introspection().signed_answers(true)).await;
    let app = app(verifier.clone());
    let mint = || server.opaque_token(server.issuer().token().subject("ada").scopes(["orders.read"]));
    let answer = call(&app, "/orders", &mint()).await;
    assert_eq!((answer.status, answer.body.as_str()), (StatusCode::OK, "ada orders.read"));

    let refused = "the signed introspection answer was refused";
    let cases = [
        (SignedIntrospection::Unsigned, "the introspection endpoint at {endpoint} answered without signing its answer, which this API asks for".to_owned()),
        (SignedIntrospection::BadSignature, format!("{refused}: the token's signature is invalid")),
        (SignedIntrospection::Tampered, format!("{refused}: the token's signature is invalid")),
        (SignedIntrospection::WrongAudience, format!("{refused}: the answer's `aud` is not this API's client id")),
        (SignedIntrospection::WrongIssuer, format!("{refused}: the answer's `iss` is not the issuer asked")),
        (SignedIntrospection::Stale, format!("{refused}: the answer's `iat` is not recent")),
        (SignedIntrospection::AccessTokenType, format!("{refused}: the answer's `typ` must be `token-introspection+jwt` (RFC 9701)")),
    ];
    for (how, message) in cases {
        server.set_signed_introspection(how);
        let error = verifier.verify(&mint()).await.unwrap_err();
        let message = message.replace("{endpoint}", &server.introspection_endpoint());
        assert_eq!((error.kind(), error.message()), (ErrorKind::IntrospectionUnavailable, message.as_str()), "{how:?}");
        let answer = call(&app, "/orders", &mint()).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{how:?}");
        assert_eq!(answer.retry_after.as_deref(), Some("5"), "{how:?}");
    }
    // An inactive token whose signed answer says so is refused as inactive (`401`).
    server.set_signed_introspection(SignedIntrospection::AsAsked);
    let revoked = mint();
    server.revoke(&revoked);
    let error = verifier.verify(&revoked).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InactiveToken);
}

#[tokio::test]
async fn without_asking_the_answer_is_plain_json() {
    let server = IssuerServer::start().await;
    // The server signs only when asked: a client that does not ask reads JSON as before.
    server.set_signed_introspection(SignedIntrospection::BadSignature);
    let verifier = verifier(&server, introspection()).await;
    let opaque = server.opaque_token(server.issuer().token().subject("ada"));
    assert_eq!(verifier.verify(&opaque).await.unwrap().subject(), Some("ada"));
}

#[tokio::test]
async fn an_introspected_token_bound_to_a_certificate_needs_that_certificate() {
    let server = IssuerServer::start().await;
    let verifier = verifier(&server, introspection().signed_answers(true)).await;
    let ca = TestCertificateAuthority::new("clients");
    let (alice, mallory) = (ca.client_certificate("alice"), ca.client_certificate("mallory"));
    let opaque = server.opaque_token(server.issuer().token().subject("alice").bound_to_certificate(&alice));
    let verify = |certificate: Option<CertificateThumbprint>| {
        let verifier = verifier.clone();
        let opaque = opaque.clone();
        async move { verifier.verify_with_certificate(&opaque, certificate.as_ref()).await }
    };
    assert_eq!(verify(Some(alice.thumbprint())).await.unwrap().subject(), Some("alice"));
    let kind = |result: Result<scopegate::Claims, scopegate::Error>| result.unwrap_err().kind();
    assert_eq!(kind(verify(Some(mallory.thumbprint())).await), ErrorKind::ClientCertificateMismatch);
    assert_eq!(kind(verify(None).await), ErrorKind::ClientCertificateMissing);
    assert_eq!(kind(verifier.verify(&opaque).await), ErrorKind::ClientCertificateMissing);
    assert_eq!(server.introspections(), 1, "one call, the rest from the cache");
}

/// A shared cache in this process that counts what replicas write.
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<[u8; 32], Vec<u8>>>>);

impl scopegate::remote::SharedAnswerCache for Shared {
    fn get(&self, key: [u8; 32]) -> scopegate::remote::SharedCacheFuture<'_, Option<Vec<u8>>> {
        let answer = self.0.lock().unwrap().get(&key).cloned();
        Box::pin(async move { answer })
    }

    fn put(&self, key: [u8; 32], answer: Vec<u8>, _: std::time::Duration) -> scopegate::remote::SharedCacheFuture<'_, ()> {
        self.0.lock().unwrap().insert(key, answer);
        Box::pin(async {})
    }
}

impl Shared {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Waits (a little) for the replicas' writes, which run in tasks of their own.
    async fn settled(&self, expected: usize) -> usize {
        for _ in 0..100 {
            if self.len() == expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        self.len()
    }
}

#[tokio::test]
async fn only_answers_that_passed_are_shared_and_plain_ones_never_reach_signed_replicas() {
    let server = IssuerServer::start().await;
    let shared = Shared::default();
    let sealing = || scopegate::SealingKey::new([9u8; 32]).unwrap();
    let signed = verifier(&server, introspection().signed_answers(true).shared_cache(shared.clone(), sealing())).await;
    let mint = || server.opaque_token(server.issuer().token().subject("ada"));

    server.set_signed_introspection(SignedIntrospection::WrongAudience);
    let refused = mint();
    assert_eq!(signed.verify(&refused).await.unwrap_err().kind(), ErrorKind::IntrospectionUnavailable);
    assert_eq!(shared.settled(0).await, 0, "a refused answer was shared");

    server.set_signed_introspection(SignedIntrospection::AsAsked);
    assert_eq!(signed.verify(&mint()).await.unwrap().subject(), Some("ada"));
    assert_eq!(shared.settled(1).await, 1);

    // A replica that still reads plain JSON shares what it read, under a key a replica that
    // requires signatures never looks at: that replica asks the authorization server itself.
    let plain = verifier(&server, introspection().shared_cache(shared.clone(), sealing())).await;
    let token = mint();
    assert_eq!(plain.verify(&token).await.unwrap().subject(), Some("ada"));
    assert_eq!(shared.settled(2).await, 2);
    let calls = server.introspections();
    assert_eq!(signed.verify(&token).await.unwrap().subject(), Some("ada"));
    assert_eq!(server.introspections(), calls + 1, "the signed replica used the plain answer");
    let (signed_stats, plain_stats) = (&signed.introspection_stats()[0], &plain.introspection_stats()[0]);
    assert_eq!((signed_stats.shared_hits, plain_stats.shared_hits), (0, 0));
}
