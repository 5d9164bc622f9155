//! Route requirements as extractors: [`RequireScope`], [`RequireAnyScope`], [`RequireRole`],
//! [`RequireAnyRole`] and [`PrefixScope`].

use std::fmt;
use std::future::{Future, ready};
use std::marker::PhantomData;

use axum_core::extract::FromRequestParts;
use http::Extensions;
use http::request::Parts;
use scopegate_core::{Claims, ConstStr, InsufficientScope, ScopeList};
use scopegate_tower::{Rejection, verified_claims};

use crate::rejection::AuthRejection;

/// Checks the request's verified claims with `check`; refuses anonymous requests (naming
/// `scopes` in the challenge) and requests without the layer.
pub(crate) fn guard<T>(
    extensions: &Extensions,
    scopes: &[&str],
    check: impl FnOnce(&Claims) -> Result<T, Rejection>,
) -> Result<T, AuthRejection> {
    verified_claims(extensions)
        .and_then(check)
        .map_err(|rejection| AuthRejection::new(extensions, rejection).with_required_scope(scopes))
}

/// Checks that the claims grant all (or, with `any`, one) of `required`, under the
/// verifier's scope policy.
fn require_scopes(
    extensions: &Extensions,
    required: &[&str],
    any: bool,
) -> Result<(), AuthRejection> {
    guard(extensions, required, |claims| {
        let (policy, granted) = (claims.scope_policy(), claims.scopes());
        let pass = if any {
            policy.grants_any(granted, required)
        } else {
            policy.grants_all(granted, required)
        };
        if pass { Ok(()) } else { Err(insufficient(required, any)) }
    })
}

/// Checks that the claims carry one of `roles` (through the issuer's claim mapping).
fn require_any_role(extensions: &Extensions, roles: &[&str]) -> Result<(), AuthRejection> {
    guard(extensions, &[], |claims| claims.require_any_role(roles).map_err(Rejection::Forbidden))
}

fn insufficient(required: &[&str], any: bool) -> Rejection {
    Rejection::InsufficientScope(InsufficientScope::new(required, any))
}

macro_rules! marker_traits {
    ($name:ident) => {
        impl<S> Clone for $name<S> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<S> Copy for $name<S> {}

        impl<S> Default for $name<S> {
            fn default() -> Self {
                Self(PhantomData)
            }
        }
    };
}

/// Requires every scope of `S` (from [`scope!`](macro@scopegate_core::scope)), under the verifier's
/// scope policy. `403 insufficient_scope` with `scope="<all of S>"` otherwise.
///
/// ```
/// use scopegate_axum::{RequireScope, scope};
///
/// type OrdersWrite = scope!("orders.write");
///
/// async fn create(_: RequireScope<OrdersWrite>) {}
/// async fn export(_: RequireScope<scope!("orders.read", "orders.export")>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(create).get(export));
/// ```
pub struct RequireScope<S>(PhantomData<fn() -> S>);

marker_traits!(RequireScope);

impl<S: ScopeList> fmt::Debug for RequireScope<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireScope").field(&S::SCOPES).finish()
    }
}

impl<S: ScopeList, St: Send + Sync> FromRequestParts<St> for RequireScope<S> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(require_scopes(&parts.extensions, S::SCOPES, false).map(|()| Self::default()))
    }
}

/// Requires at least one scope of `S`. `403 insufficient_scope` with `scope="<all of S>"`
/// otherwise.
///
/// ```
/// use scopegate_axum::{RequireAnyScope, scope};
///
/// async fn read(_: RequireAnyScope<scope!("orders.read", "orders.admin")>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(read));
/// ```
pub struct RequireAnyScope<S>(PhantomData<fn() -> S>);

marker_traits!(RequireAnyScope);

impl<S: ScopeList> fmt::Debug for RequireAnyScope<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireAnyScope").field(&S::SCOPES).finish()
    }
}

impl<S: ScopeList, St: Send + Sync> FromRequestParts<St> for RequireAnyScope<S> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(require_scopes(&parts.extensions, S::SCOPES, true).map(|()| Self::default()))
    }
}

/// Requires the role `R` (from [`role!`](macro@scopegate_core::role)), read through the verifier's
/// claim mapping. `403 insufficient_scope` (without `scope`) otherwise.
///
/// ```
/// use scopegate_axum::{RequireRole, RequireScope, role, scope};
///
/// async fn approve(_: RequireScope<scope!("orders.approve")>, _: RequireRole<role!("operator")>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(approve));
/// ```
pub struct RequireRole<R>(PhantomData<fn() -> R>);

marker_traits!(RequireRole);

impl<R: ConstStr> fmt::Debug for RequireRole<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireRole").field(&R::VALUE).finish()
    }
}

impl<R: ConstStr, St: Send + Sync> FromRequestParts<St> for RequireRole<R> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(require_any_role(&parts.extensions, &[R::VALUE]).map(|()| Self::default()))
    }
}

/// Requires at least one of the roles `R`: one [`role!`](macro@scopegate_core::role), or a tuple
/// of them. `403 insufficient_scope` (without `scope`) otherwise.
///
/// ```
/// use scopegate_axum::{RequireAnyRole, role};
///
/// async fn moderate(_: RequireAnyRole<(role!("moderator"), role!("admin"))>) {}
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(moderate));
/// ```
pub struct RequireAnyRole<R>(PhantomData<fn() -> R>);

marker_traits!(RequireAnyRole);

impl<R: ScopeList> fmt::Debug for RequireAnyRole<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireAnyRole").field(&R::SCOPES).finish()
    }
}

impl<R: ScopeList, St: Send + Sync> FromRequestParts<St> for RequireAnyRole<R> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(require_any_role(&parts.extensions, R::SCOPES).map(|()| Self::default()))
    }
}

/// Requires a prefix scope (Curity's `transaction-` style) and hands the handler its values:
/// with `PrefixScope<scope!("transaction-")>`, a token granting `transaction-42` yields `42`.
/// `403 insufficient_scope` with `scope="transaction-"` when no such scope is granted.
///
/// ```
/// use scopegate_axum::{PrefixScope, scope};
///
/// async fn pay(transaction: PrefixScope<scope!("transaction-")>) -> String {
///     format!("paying {}", transaction.value())
/// }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(pay));
/// ```
pub struct PrefixScope<P> {
    claims: Claims,
    prefix: PhantomData<fn() -> P>,
}

impl<P: ConstStr> PrefixScope<P> {
    /// The first value (in byte order) of the granted scopes with the prefix.
    #[allow(clippy::expect_used, reason = "extraction succeeds only when a value exists")]
    pub fn value(&self) -> &str {
        // The extractor admits the request only when some granted scope has a value.
        self.values().next().expect("a PrefixScope holds at least one value")
    }

    /// Every value of the granted scopes with the prefix, in byte order.
    pub fn values(&self) -> impl Iterator<Item = &str> + '_ {
        self.claims.scopes().suffixes(P::VALUE)
    }
}

impl<P> Clone for PrefixScope<P> {
    fn clone(&self) -> Self {
        Self { claims: self.claims.clone(), prefix: PhantomData }
    }
}

impl<P: ConstStr> fmt::Debug for PrefixScope<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrefixScope")
            .field("prefix", &P::VALUE)
            .field("values", &self.values().collect::<Vec<_>>())
            .finish()
    }
}

impl<P: ConstStr, St: Send + Sync> FromRequestParts<St> for PrefixScope<P> {
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &St,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(guard(&parts.extensions, &[P::VALUE], |claims| {
            if claims.scopes().suffixes(P::VALUE).next().is_some() {
                Ok(Self { claims: claims.clone(), prefix: PhantomData })
            } else {
                Err(insufficient(&[P::VALUE], false))
            }
        }))
    }
}
