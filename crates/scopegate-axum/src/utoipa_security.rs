//! OpenAPI with utoipa (feature `utoipa`). utoipa cannot see extractors, so this module gives
//! the shortest correct path:
//!
//! - [`SecurityAddon`], a `Modify` that adds the bearer security scheme `accessToken`;
//! - [`scope_at`], so that a route's scopes are named once, in a `type` alias used by both the
//!   extractor and the `#[utoipa::path(security(...))]` attribute;
//! - [`security_drift`], a check for your tests that calls each documented operation of the
//!   router with a token granting nothing and compares the scopes its `403` asks for with the
//!   document's.
//!
//! ```
//! use scopegate_axum::utoipa_security::{SECURITY_SCHEME, SecurityAddon, scope_at};
//! use scopegate_axum::{RequireScope, scope};
//! use utoipa::OpenApi;
//!
//! type WritePosts = scope!("write:posts");
//!
//! #[utoipa::path(post, path = "/posts", responses((status = 201)),
//!     security(("accessToken" = [scope_at::<WritePosts, 0>()])))]
//! async fn create(_: RequireScope<WritePosts>) {}
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(create), modifiers(&SecurityAddon))]
//! struct Docs;
//!
//! let json = serde_json::to_value(Docs::openapi()).unwrap();
//! assert_eq!(json["paths"]["/posts"]["post"]["security"], serde_json::json!([{ SECURITY_SCHEME: ["write:posts"] }]));
//! ```
//!
//! What stays manual: writing the attribute at all (utoipa reads attributes, not signatures),
//! listing each scope of a multi-scope alias (`scope_at::<S, 0>(), scope_at::<S, 1>()`), and
//! any-of requirements (one `security` alternative per scope). The drift check catches a
//! mistake in any of them.

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode, header};
use scopegate_core::ScopeList;
use serde_json::Value;
use tower::ServiceExt;
use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::openapi_json::operation_scopes;

/// The name of the security scheme: use it in `security(("accessToken" = [...]))`.
pub const SECURITY_SCHEME: &str = crate::openapi_json::SECURITY_SCHEME;

/// Adds the HTTP bearer security scheme [`SECURITY_SCHEME`] (`bearerFormat: JWT`).
#[derive(Clone, Copy, Debug, Default)]
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some("An OAuth 2.0 access token (RFC 6750)."))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(SECURITY_SCHEME, SecurityScheme::Http(scheme));
    }
}

/// The `I`-th scope of `S` (from `scope!`): for the `security` attribute, so that the alias
/// the extractor uses is the one source.
///
/// # Panics
///
/// When `S` has no `I`-th scope: the attribute names more scopes than the alias has, which
/// the first test that builds the document reports.
#[allow(clippy::panic, reason = "a documentation mistake, reported when the document is built")]
pub fn scope_at<S: ScopeList, const I: usize>() -> &'static str {
    match S::SCOPES.get(I) {
        Some(scope) => scope,
        None => panic!("the scope list has no scope at index {I}"),
    }
}

/// Calls every operation `api` documents on `router` with `probe_token` (valid, granting no
/// scope), and reports each operation whose documented scopes differ from those its `403`
/// asks for (path parameters are filled with `1`). Empty when the document and the router
/// agree. Operations without a scope requirement are called for real: probe a router whose
/// handlers have no effects you mind in a test.
pub async fn security_drift(router: Router, api: &OpenApi, probe_token: &str) -> Vec<String> {
    let document = serde_json::to_value(api).unwrap_or(Value::Null);
    let mut drift = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else { return drift };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, operation) in item {
            let Ok(method) = method.to_uppercase().parse::<Method>() else { continue };
            let documented = operation_scopes([operation]);
            let uri = fill_parameters(path);
            let request = Request::builder()
                .method(method.clone())
                .uri(&uri)
                .header(header::AUTHORIZATION, format!("Bearer {probe_token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"));
            let Ok(request) = request else { continue };
            let enforced = match router.clone().oneshot(request).await {
                Ok(response) if response.status() == StatusCode::FORBIDDEN => response
                    .headers()
                    .get(header::WWW_AUTHENTICATE)
                    .and_then(|value| value.to_str().ok())
                    .map(challenge_scopes)
                    .unwrap_or_default(),
                Ok(_) => Vec::new(),
                Err(never) => match never {},
            };
            if documented != enforced {
                drift.push(format!(
                    "{method} {path}: the document says {documented:?}, the route requires {enforced:?}"
                ));
            }
        }
    }
    drift
}

/// The `scope` parameter of a challenge, sorted.
fn challenge_scopes(challenge: &str) -> Vec<String> {
    let Some((_, rest)) = challenge.split_once("scope=\"") else { return Vec::new() };
    let value = rest.split('"').next().unwrap_or_default();
    let mut scopes: Vec<String> =
        value.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    scopes.sort_unstable();
    scopes
}

/// `/posts/{id}` to `/posts/1`.
fn fill_parameters(path: &str) -> String {
    path.split('/')
        .map(
            |segment| {
                if segment.starts_with('{') && segment.ends_with('}') { "1" } else { segment }
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}
