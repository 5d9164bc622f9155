//! Shared by the layer tests: a real inner service and a way to read responses.

#![allow(dead_code, unreachable_pub)]
// Helpers here panic on purpose: a failed expectation is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::convert::Infallible;

use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use scopegate_core::Claims;
use scopegate_tower::{Anonymous, AuthContext};
use serde_json::{Value, json};
use tower::{Service, ServiceExt};

/// What the inner service saw, as JSON: the subject and scopes of the claims, or that the
/// request was anonymous.
pub async fn echo(request: Request<String>) -> Result<Response<String>, Infallible> {
    let extensions = request.extensions();
    let seen = match extensions.get::<Claims>() {
        Some(claims) => json!({
            "sub": claims.subject(),
            "scopes": claims.scopes().iter().collect::<Vec<_>>(),
            "context": extensions.get::<AuthContext>().map(|c| c.realm().to_owned()),
        }),
        None => json!({ "anonymous": extensions.get::<Anonymous>().is_some() }),
    };
    Ok(Response::new(seen.to_string()))
}

/// A response, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub challenge: Option<String>,
    pub body: Value,
    pub headers: http::HeaderMap,
}

pub async fn send<S, B>(service: S, request: Request<String>) -> Answer
where
    S: Service<Request<String>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let response = service.oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
    Answer {
        status: parts.status,
        challenge: parts
            .headers
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.to_str().unwrap().to_owned()),
        body,
        headers: parts.headers,
    }
}

pub fn with_auth(value: &str) -> Request<String> {
    Request::builder()
        .uri("/orders")
        .header(header::AUTHORIZATION, value)
        .body(String::new())
        .unwrap()
}

pub fn bearer(token: &str) -> Request<String> {
    with_auth(&format!("Bearer {token}"))
}

pub fn plain() -> Request<String> {
    Request::builder().uri("/orders").body(String::new()).unwrap()
}
