//! Access rules beyond scopes and roles: step-up authentication ([`AuthenticationRequirement`],
//! RFC 9470) and claim rules ([`ClaimRule`]), for [`GuardLayer`](crate::GuardLayer).
//!
//! ```
//! use std::time::Duration;
//! use scopegate_core::{AuthenticationRequirement, ClaimRule};
//! use scopegate_tower::{ClaimRuleLayer, RequireAuthenticationLayer};
//!
//! let step_up = RequireAuthenticationLayer::new(
//!     AuthenticationRequirement::acr_any_of(["mfa"])?.max_age(Duration::from_secs(300)),
//! );
//! let suppliers = ClaimRuleLayer::new(ClaimRule::claim("groups")?.contains("suppliers"));
//! # let _ = (step_up, suppliers);
//! # Ok::<(), scopegate_core::Error>(())
//! ```

use std::sync::Arc;

use scopegate_core::{AuthenticationRequirement, ClaimRule, Claims, Clock, SystemClock};

use crate::context::AuthContext;
use crate::guard::{AccessRule, GuardLayer, RequestHead};
use crate::rejection::Rejection;

/// Requires a strong or recent enough login: `401 insufficient_user_authentication` with
/// `acr_values` and `max_age` otherwise.
pub type RequireAuthenticationLayer = GuardLayer<AuthenticationRequirement>;

/// Requires a [`ClaimRule`] to hold: `403` naming the rule otherwise.
pub type ClaimRuleLayer = GuardLayer<ClaimRule>;

impl AccessRule for AuthenticationRequirement {
    fn check(&self, claims: &Claims, request: &RequestHead<'_>) -> Result<(), Rejection> {
        // The verifier's clock, so that tests on a manual clock see the same time the
        // verifier did.
        let now = request
            .extensions
            .get::<AuthContext>()
            .map_or_else(|| SystemClock.now_secs(), AuthContext::now_secs);
        claims.require_authentication(self, now).map_err(Rejection::InsufficientUserAuthentication)
    }
}

/// The path parameters of a request, by name, for claim rules that compare with one
/// ([`ClaimSelector::equals_path_param`](scopegate_core::claims::ClaimSelector::equals_path_param)).
/// axum's extractors read axum's own; with another router, insert this into the request
/// extensions before the guard.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParams(Arc<[(Box<str>, Box<str>)]>);

impl PathParams {
    /// The parameters, as `(name, value)` pairs.
    pub fn new<I, N, V>(params: I) -> Self
    where
        I: IntoIterator<Item = (N, V)>,
        N: Into<Box<str>>,
        V: Into<Box<str>>,
    {
        Self(params.into_iter().map(|(name, value)| (name.into(), value.into())).collect())
    }

    /// The value of the parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| &**key == name).map(|(_, value)| &**value)
    }
}

impl AccessRule for ClaimRule {
    fn check(&self, claims: &Claims, request: &RequestHead<'_>) -> Result<(), Rejection> {
        let params = request.extensions.get::<PathParams>();
        let lookup = |name: &str| params.and_then(|params| params.get(name));
        claims.check_rule(self, &lookup).map_err(Rejection::Forbidden)
    }
}
