//! Refusals that gRPC clients understand: for a gRPC request (`content-type:
//! application/grpc`, `application/grpc+proto`, ...), every answer of the layer, its guards
//! and extractors is a trailers-only gRPC response instead of an HTTP error.
//!
//! | HTTP answer | gRPC status |
//! |---|---|
//! | 400 | 3 `INVALID_ARGUMENT` |
//! | 401 | 16 `UNAUTHENTICATED` |
//! | 403 | 7 `PERMISSION_DENIED` |
//! | 503 | 14 `UNAVAILABLE` |
//! | 500 | 13 `INTERNAL` |
//!
//! The response is HTTP 200 with `content-type: application/grpc`, `grpc-status`, the
//! description in `grpc-message` (percent-encoded), the `WWW-Authenticate` challenges,
//! `DPoP-Nonce` and `Retry-After` kept as metadata, and `grpc-status-details-bin`: a
//! `google.rpc.Status` with one `google.rpc.ErrorInfo` whose `reason` is the refusal's kind
//! (`EXPIRED`, `INSUFFICIENT_SCOPE`, `MISSING_TOKEN`, ...), `domain` `scopegate`, and metadata
//! `error` (the RFC 6750 code) and `required_scopes` when the scopes are known. One layer thus
//! serves REST and gRPC on one port. A [`Responder`](crate::Responder) still shapes the
//! answer first; its status and headers are what the conversion reads, while `grpc-message`
//! and the `ErrorInfo` come from the rejection itself (the same words as the JSON body's
//! `error_description`, never a token or claim value).
//!
//! ```
//! use http::{Request, StatusCode};
//! use scopegate_tower::BearerAuthLayer;
//! use tower::{Layer, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let verifier = scopegate_testkit::TestIssuer::new().verifier();
//! let service = BearerAuthLayer::new(verifier).realm("inventory").layer(service_fn(
//!     |_: Request<()>| async { Ok::<_, std::convert::Infallible>(http::Response::new(())) },
//! ));
//! let call = Request::post("/inventory.v1.Inventory/GetItem")
//!     .header("content-type", "application/grpc")
//!     .body(())?;
//! let response = service.oneshot(call).await?;
//! assert_eq!(response.status(), StatusCode::OK);
//! assert_eq!(response.headers()["grpc-status"], "16");
//! assert_eq!(response.headers()["grpc-message"], "this resource needs an access token");
//! assert_eq!(response.headers()["www-authenticate"], r#"Bearer realm="inventory""#);
//! # Ok(())
//! # }
//! ```

mod methods;
pub(crate) mod status;
#[cfg(feature = "tonic")]
mod tonic;

#[cfg(feature = "tonic")]
pub use self::tonic::TonicRequestExt;
pub use methods::GrpcMethods;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use bytes::Bytes;
use http::header::CACHE_CONTROL;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderMap, Method, Response, StatusCode};

use crate::rejection::{DPOP_NONCE, Rejection};

/// The header of a gRPC status code.
pub const GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
/// The header of a gRPC status message (percent-encoded).
pub const GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");
/// The header of a gRPC status's details: a base64 `google.rpc.Status`.
pub const GRPC_STATUS_DETAILS: HeaderName = HeaderName::from_static("grpc-status-details-bin");

/// The `ErrorInfo.domain` of scopegate's refusals.
pub const ERROR_DOMAIN: &str = "scopegate";

/// Whether a request is a gRPC call: a `POST` whose `content-type` is `application/grpc`,
/// alone or with a `+format` or parameters. (gRPC-Web, `application/grpc-web`, is not: its
/// trailers travel in the body.)
pub fn is_grpc(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::POST {
        return false;
    }
    let Some(value) = headers.get(CONTENT_TYPE) else { return false };
    let value = value.as_bytes();
    let prefix = b"application/grpc";
    value.get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix))
        && matches!(value.get(prefix.len()), None | Some(b'+' | b';'))
}

/// The gRPC status for an HTTP refusal status.
pub fn grpc_code(status: StatusCode) -> u8 {
    match status.as_u16() {
        400 => 3,
        401 => 16,
        403 => 7,
        503 => 14,
        500 => 13,
        404 => 12,
        _ => 2,
    }
}

/// `response` (the HTTP answer for `rejection`) as a trailers-only gRPC response.
pub(crate) fn trailers_only(
    response: Response<Bytes>,
    rejection: &Rejection,
    required_scope: Option<&str>,
) -> Response<Bytes> {
    let (parts, _) = response.into_parts();
    let code = grpc_code(parts.status);
    let message = rejection.to_string();
    let mut answer = Response::new(Bytes::new());
    let headers = answer.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for name in [WWW_AUTHENTICATE, DPOP_NONCE, RETRY_AFTER] {
        for value in parts.headers.get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    headers.insert(GRPC_STATUS, HeaderValue::from(u16::from(code)));
    if let Ok(value) = HeaderValue::try_from(percent_encode(&message)) {
        headers.insert(GRPC_MESSAGE, value);
    }
    let reason = rejection.reason().to_ascii_uppercase();
    let error = rejection.body_code();
    let scopes = rejection.required_scopes().or_else(|| required_scope.map(str::to_owned));
    let mut metadata = vec![("error", error)];
    if let Some(scopes) = scopes.as_deref() {
        metadata.push(("required_scopes", scopes));
    }
    let info = status::error_info(&reason, ERROR_DOMAIN, &metadata);
    let details = STANDARD_NO_PAD.encode(status::status(code, &message, &info));
    if let Ok(value) = HeaderValue::try_from(details) {
        headers.insert(GRPC_STATUS_DETAILS, value);
    }
    answer
}

/// gRPC's percent-encoding of a status message: bytes outside `0x20..=0x7E`, and `%`, as `%XX`.
pub fn percent_encode(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for &byte in message.as_bytes() {
        if (0x20..=0x7e).contains(&byte) && byte != b'%' {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_requests_by_content_type() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, value.parse().unwrap());
            assert!(!is_grpc(&Method::GET, &headers), "only a POST is a gRPC call");
            is_grpc(&Method::POST, &headers)
        };
        for grpc in ["application/grpc", "application/grpc+proto", "Application/GRPC;charset=x"] {
            assert!(with(grpc), "{grpc}");
        }
        for other in
            ["application/grpc-web", "application/grpcx", "application/json", "application/gr"]
        {
            assert!(!with(other), "{other}");
        }
        assert!(!is_grpc(&Method::POST, &HeaderMap::new()));
    }

    #[test]
    fn messages_are_percent_encoded_as_grpc_says() {
        assert_eq!(percent_encode("the `scope` is 100% wrong"), "the `scope` is 100%25 wrong");
        assert_eq!(percent_encode("naïve\nline"), "na%C3%AFve%0Aline");
        assert_eq!(percent_encode(" ~!"), " ~!");
    }

    #[test]
    fn http_statuses_map_to_grpc_codes() {
        let codes: Vec<u8> = [400, 401, 403, 503, 500, 404, 418]
            .into_iter()
            .map(|status| grpc_code(StatusCode::from_u16(status).unwrap()))
            .collect();
        assert_eq!(codes, [3, 16, 7, 14, 13, 12, 2]);
    }
}
