//! [`CallerToken`]: the verified request's access token, for forwarding downstream.

use std::future::{Future, ready};

use axum_core::extract::FromRequestParts;
use http::request::Parts;
use scopegate_tower::{AccessToken, Rejection, verified_claims};

use crate::rejection::AuthRejection;

/// The access token of a request that passed the layer, to forward to a downstream API
/// through [`ForwardTokenLayer`](scopegate_tower::ForwardTokenLayer) (insert it into the
/// outgoing request's extensions) or to exchange (RFC 8693,
/// [`Verifier::exchange`](scopegate_core::Verifier::exchange)). `Debug` never shows it.
///
/// ```
/// use scopegate_axum::CallerToken;
///
/// async fn handler(CallerToken(token): CallerToken) -> String {
///     format!("presented with {:?}", token.scheme())
/// }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(handler));
/// ```
#[derive(Clone, Debug)]
pub struct CallerToken(pub AccessToken);

impl<St: Send + Sync> FromRequestParts<St> for CallerToken {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        // Only the token the layer verified, from where it found it: an anonymous request has
        // none to forward.
        let outcome = verified_claims(&parts.extensions)
            .and_then(|_| {
                AccessToken::from_request(&parts.extensions, &parts.headers)
                    .ok_or(Rejection::MissingToken)
            })
            .map(Self)
            .map_err(|rejection| AuthRejection::new(&parts.extensions, rejection));
        ready(outcome)
    }
}
