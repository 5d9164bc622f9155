//! One debug event per rejection, with the reason and never the token.

// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{bearer, echo, send};
use scopegate_testkit::TestIssuer;
use scopegate_tower::BearerAuthLayer;
use tower::ServiceBuilder;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A debug-level subscriber for this thread, closed spans included, writing to the buffer.
fn capture() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

#[tokio::test(flavor = "current_thread")]
async fn rejections_are_logged_without_the_token() {
    let (captured, _guard) = capture();

    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let token = issuer.token().expired().sign();
    send(service, bearer(&token)).await;

    let log = captured.text();
    let events: Vec<&str> = log.lines().filter(|line| line.contains("request rejected")).collect();
    assert_eq!(events.len(), 1, "{log}");
    assert!(events[0].contains("DEBUG"), "{log}");
    assert!(events[0].contains("reason=the token has expired"), "{log}");
    assert!(events[0].contains("code=\"invalid_token\""), "{log}");
    let signature = token.rsplit('.').next().unwrap();
    assert!(!log.contains(signature) && !log.contains(&token[..30]), "{log}");
}

/// The `scopegate.verify` span: the issuer, the outcome and the error kind, as a subscriber
/// that prints closed spans shows them; never the token nor a claim value.
#[tokio::test(flavor = "current_thread")]
async fn each_verification_has_a_span_with_its_outcome() {
    let (captured, _guard) = capture();

    let issuer = TestIssuer::new();
    let service =
        ServiceBuilder::new().layer(BearerAuthLayer::new(issuer.verifier())).service_fn(echo);
    let expired = issuer.token().subject("subject-4711").expired().sign();
    let fresh = issuer.token().subject("subject-4711").sign();
    send(service.clone(), bearer(&expired)).await;
    send(service.clone(), bearer(&fresh)).await;
    // A cache hit verifies nothing: no third span.
    send(service, bearer(&fresh)).await;

    let log = captured.text();
    let closed: Vec<&str> = log.lines().filter(|line| line.contains(" close ")).collect();
    assert_eq!(closed.len(), 2, "{log}");
    let iss = issuer.issuer();
    assert!(
        closed[0].contains(&format!(
            "scopegate.verify{{issuer=\"{iss}\" outcome=\"refused\" error_kind=\"expired\"}}"
        )),
        "{log}"
    );
    assert!(
        closed[1].contains(&format!("scopegate.verify{{issuer=\"{iss}\" outcome=\"verified\"}}")),
        "{log}"
    );
    let refused: Vec<&str> = log.lines().filter(|line| line.contains("token refused")).collect();
    assert_eq!(refused.len(), 1, "{log}");
    assert!(refused[0].contains("scopegate.verify{"), "the event is inside the span: {log}");
    for token in [&expired, &fresh] {
        assert!(!log.contains(token.rsplit('.').next().unwrap()), "{log}");
    }
    assert!(!log.contains("subject-4711"), "{log}");
}
