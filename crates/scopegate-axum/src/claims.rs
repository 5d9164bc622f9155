//! [`Claims`]: the verified claims of the request, as an extractor.

use std::fmt;
use std::future::{Future, ready};
use std::ops::Deref;

use axum_core::extract::{FromRequestParts, OptionalFromRequestParts};
use http::Extensions;
use http::request::Parts;
use scopegate_core::CustomClaims;
use scopegate_tower::{AuthContext, Rejection, verified_claims};
use serde::de::DeserializeOwned;

use crate::rejection::AuthRejection;

type Verified<T> = scopegate_core::Claims<T>;

/// The verified claims of the request. Dereferences to [`scopegate_core::Claims`].
///
/// `T` types the custom claims: `Claims<MyClaims>` deserializes them once per request (and
/// caches the result for other extractors); the default is a JSON map. `Option<Claims>` is
/// `None` for an anonymous request on an optional layer.
///
/// ```
/// use scopegate_axum::Claims;
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Tenant {
///     tenant: String,
/// }
///
/// async fn me(claims: Claims) -> String {
///     format!("{} ({})", claims.subject().unwrap_or("?"), claims.scopes())
/// }
///
/// async fn tenant(claims: Claims<Tenant>) -> String {
///     claims.custom().tenant.clone()
/// }
///
/// async fn maybe(claims: Option<Claims>) -> &'static str {
///     if claims.is_some() { "signed in" } else { "anonymous" }
/// }
/// # let _ = axum::Router::<()>::new()
/// #     .route("/me", axum::routing::get(me))
/// #     .route("/tenant", axum::routing::get(tenant))
/// #     .route("/maybe", axum::routing::get(maybe));
/// ```
pub struct Claims<T = CustomClaims>(pub Verified<T>);

impl<T> Claims<T> {
    /// The core claims.
    pub fn into_inner(self) -> Verified<T> {
        self.0
    }
}

impl<T> Deref for Claims<T> {
    type Target = Verified<T>;

    fn deref(&self) -> &Verified<T> {
        &self.0
    }
}

impl<T> Clone for Claims<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> fmt::Debug for Claims<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// The claims with custom claims of type `T`, converted once and cached in `extensions`.
fn typed<T>(extensions: &mut Extensions) -> Result<Verified<T>, AuthRejection>
where
    T: DeserializeOwned + Send + Sync + 'static,
{
    if let Some(cached) = extensions.get::<Verified<T>>() {
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
        Err(error) => Err(AuthRejection::new(extensions, Rejection::InvalidToken(error))),
    }
}

impl<T, S> FromRequestParts<S> for Claims<T>
where
    T: DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> impl Future<Output = Result<Self, AuthRejection>> + Send {
        ready(typed(&mut parts.extensions).map(Claims))
    }
}

impl<T, S> OptionalFromRequestParts<S> for Claims<T>
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
        let anonymous = extensions.get::<Verified<CustomClaims>>().is_none()
            && extensions.get::<AuthContext>().is_some();
        ready(if anonymous {
            Ok(None)
        } else {
            typed(extensions).map(|claims| Some(Claims(claims)))
        })
    }
}
