//! [`Verified`]: the verified claims of the request, as an extractor.

use std::fmt;
use std::future::{Future, ready};
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use http::Extensions;
use http::request::Parts;
use scopegate_core::{Claims, CustomClaims};
use scopegate_tower::{AuthContext, Rejection, verified_claims};
use serde::de::DeserializeOwned;

use crate::rejection::AuthRejection;

/// Extracts the request's verified [`Claims`], which
/// [`BearerAuthLayer`](scopegate_tower::BearerAuthLayer) put in the request extensions.
/// Dereferences to them.
///
/// The claims type is [`Claims`] everywhere: the layer inserts it, tower code reads
/// `request.extensions().get::<Claims>()`, handlers take `Verified<Claims>` (or just
/// `Verified`). `Verified<Claims<MyClaims>>` deserializes the custom claims into `MyClaims`
/// once per request (cached for other extractors); claims that do not fit answer `403`, the
/// token being valid but not enough for this route. `Option<Verified>` is `None` for an
/// anonymous request on an optional layer.
///
/// ```
/// use scopegate_axum::{Claims, Verified};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Tenant {
///     tenant: String,
/// }
///
/// async fn me(claims: Verified) -> String {
///     format!("{} ({})", claims.subject().unwrap_or("?"), claims.scopes())
/// }
///
/// async fn tenant(Verified(claims): Verified<Claims<Tenant>>) -> String {
///     claims.custom().tenant.clone()
/// }
///
/// async fn maybe(claims: Option<Verified>) -> &'static str {
///     if claims.is_some() { "signed in" } else { "anonymous" }
/// }
/// # let _ = axum::Router::<()>::new()
/// #     .route("/me", axum::routing::get(me))
/// #     .route("/tenant", axum::routing::get(tenant))
/// #     .route("/maybe", axum::routing::get(maybe));
/// ```
pub struct Verified<C = Claims>(pub C);

impl<C> Verified<C> {
    /// The claims.
    pub fn into_inner(self) -> C {
        self.0
    }
}

impl<C> Deref for Verified<C> {
    type Target = C;

    fn deref(&self) -> &C {
        &self.0
    }
}

impl<C: Clone> Clone for Verified<C> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<C: fmt::Debug> fmt::Debug for Verified<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Verified").field(&self.0).finish()
    }
}

/// The claims with custom claims of type `T`, converted once and cached in `extensions`.
fn typed<T>(extensions: &mut Extensions) -> Result<Claims<T>, AuthRejection>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    if let Some(cached) = extensions.get::<Claims<T>>() {
        return Ok(cached.clone());
    }
    let converted = match verified_claims(extensions) {
        Ok(claims) => claims.try_into_custom::<T>(),
        Err(rejection) => return Err(AuthRejection::new(extensions, rejection)),
    };
    match converted {
        Ok(typed) => {
            extensions.insert(typed.clone());
            Ok(typed)
        }
        Err(error) => Err(AuthRejection::new(extensions, Rejection::from_error(error))),
    }
}

impl<T, S> FromRequestParts<S> for Verified<Claims<T>>
where
    T: DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(typed(&mut parts.extensions).map(Verified))
    }
}

impl<T, S> OptionalFromRequestParts<S> for Verified<Claims<T>>
where
    T: DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Option<Self>, AuthRejection>> + Send {
        let extensions = &mut parts.extensions;
        let anonymous = extensions.get::<Claims<CustomClaims>>().is_none()
            && extensions.get::<AuthContext>().is_some();
        ready(if anonymous {
            Ok(None)
        } else {
            typed(extensions).map(|claims| Some(Verified(claims)))
        })
    }
}
