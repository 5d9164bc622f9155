//! Claim rules bound to the request, as an extractor: [`RequireClaim`].

use std::fmt;
use std::marker::PhantomData;

use axum::extract::RawPathParams;
use axum_core::extract::FromRequestParts;
use http::request::Parts;
use scopegate_core::ClaimRule;
use scopegate_tower::Rejection;

use crate::rejection::AuthRejection;
use crate::require::guard;

/// A named [`ClaimRule`] for [`RequireClaim`]: implement it on a unit type.
pub trait ClaimRuleDef: Send + Sync + 'static {
    /// The rule (built per request; rules are small).
    fn rule() -> ClaimRule;
}

/// Requires the rule `R`, with the route's path parameters: `403` (without `scope`) naming the
/// rule when the claim is missing, mistyped or different, never naming its value.
///
/// ```
/// use axum::{Router, routing::get};
/// use scopegate_axum::{ClaimRuleDef, RequireClaim};
/// use scopegate_core::ClaimRule;
///
/// /// A customer reads only their own orders.
/// struct OwnCustomer;
///
/// impl ClaimRuleDef for OwnCustomer {
///     fn rule() -> ClaimRule {
///         ClaimRule::claim("customer_id")
///             .expect("a valid path")
///             .equals_path_param("customer_id")
///             .named("own-customer")
///     }
/// }
///
/// async fn orders(_: RequireClaim<OwnCustomer>) {}
/// # let _ = Router::<()>::new().route("/customers/{customer_id}/orders", get(orders));
/// ```
pub struct RequireClaim<R>(PhantomData<fn() -> R>);

impl<R: ClaimRuleDef, St: Send + Sync> FromRequestParts<St> for RequireClaim<R> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, AuthRejection> {
        let rule = R::rule();
        let params = match rule.path_param() {
            Some(_) => RawPathParams::from_request_parts(parts, state).await.ok(),
            None => None,
        };
        let lookup = |name: &str| {
            params.as_ref().and_then(|params| {
                params.iter().find(|(key, _)| *key == name).map(|(_, value)| value)
            })
        };
        guard(&parts.extensions, &[], |claims| {
            claims.check_rule(&rule, &lookup).map_err(Rejection::Forbidden)
        })?;
        Ok(Self(PhantomData))
    }
}

impl<R: ClaimRuleDef> fmt::Debug for RequireClaim<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireClaim").field(&R::rule().name()).finish()
    }
}
