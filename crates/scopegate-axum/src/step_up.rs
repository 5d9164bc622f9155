//! Step-up authentication as extractors (RFC 9470): [`RequireAcr`] and [`MaxAuthAge`].

use std::fmt;
use std::future::{Future, ready};
use std::marker::PhantomData;
use std::time::Duration;

use axum_core::extract::FromRequestParts;
use http::request::Parts;
use scopegate_core::{AuthenticationRequirement, Clock, ScopeList, SystemClock};
use scopegate_tower::{AuthContext, Rejection};

use crate::rejection::AuthRejection;
use crate::require::guard;

/// Checks `requirement` on the request's claims at the verifier's time.
fn require(parts: &Parts, requirement: &AuthenticationRequirement) -> Result<(), AuthRejection> {
    let now = parts
        .extensions
        .get::<AuthContext>()
        .map_or_else(|| SystemClock.now_secs(), AuthContext::now_secs);
    guard(&parts.extensions, &[], |claims| {
        claims
            .require_authentication(requirement, now)
            .map_err(Rejection::InsufficientUserAuthentication)
    })
}

/// Requires the login's `acr` to be one of `A` (from [`acr!`](macro@scopegate_core::acr)).
/// Otherwise `401` with `error="insufficient_user_authentication"` and `acr_values="<A>"`, so
/// the client asks the user for a stronger login (RFC 9470).
///
/// ```
/// use scopegate_axum::{RequireAcr, acr};
///
/// async fn transfer(_: RequireAcr<acr!("mfa", "phr")>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(transfer));
/// ```
pub struct RequireAcr<A>(PhantomData<fn() -> A>);

impl<A: ScopeList, St: Send + Sync> FromRequestParts<St> for RequireAcr<A> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        // `acr!` admits only values a requirement accepts.
        let outcome = match AuthenticationRequirement::acr_any_of(A::SCOPES.iter().copied()) {
            Ok(requirement) => require(parts, &requirement).map(|()| Self(PhantomData)),
            Err(error) => Err(AuthRejection::new(&parts.extensions, Rejection::Forbidden(error))),
        };
        ready(outcome)
    }
}

impl<A: ScopeList> fmt::Debug for RequireAcr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireAcr").field(&A::SCOPES).finish()
    }
}

/// Requires the user to have logged in at most `SECONDS` ago (`auth_time`); a token without
/// `auth_time` fails. Otherwise `401` with `error="insufficient_user_authentication"` and
/// `max_age="<SECONDS>"` (RFC 9470).
///
/// ```
/// use scopegate_axum::MaxAuthAge;
///
/// async fn change_password(_: MaxAuthAge<300>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(change_password));
/// ```
pub struct MaxAuthAge<const SECONDS: u64>;

impl<const SECONDS: u64, St: Send + Sync> FromRequestParts<St> for MaxAuthAge<SECONDS> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        let requirement = AuthenticationRequirement::new().max_age(Duration::from_secs(SECONDS));
        ready(require(parts, &requirement).map(|()| Self))
    }
}

impl<const SECONDS: u64> fmt::Debug for MaxAuthAge<SECONDS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MaxAuthAge").field(&SECONDS).finish()
    }
}
