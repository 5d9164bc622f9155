//! A blog API with the `action:entity` scopes of the seed pages (`read:posts`, `write:posts`,
//! `delete:posts`, `admin:users`) and typed custom claims. Run it with `cargo run -p blog-api`.
//!
//! | route | needs |
//! |---|---|
//! | `GET /posts` | `read:posts` |
//! | `POST /posts` | `write:posts`; the author comes from the token's `name` claim |
//! | `DELETE /posts/{id}` | `delete:posts` |
//! | `GET /admin/users` | `admin:users` |
//! | `GET /openapi.json` | nothing: the OpenAPI document (utoipa) |
//!
//! Each route's scopes are named once, in a type alias that both the extractor and the
//! `#[utoipa::path(security(...))]` attribute use; `security_drift` checks in the tests that
//! the document and the router agree.

#![forbid(unsafe_code)]

use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use scopegate::{BearerAuthLayer, Claims, RequireScope, Verified, Verifier, scope};
use scopegate_axum::utoipa_security::{SecurityAddon, scope_at};
use scopegate_testkit::TestIssuer;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::OpenApi;

/// The audience of the blog API: its resource indicator.
pub const AUDIENCE: &str = "https://api.example.com";

/// The custom claims the blog reads from tokens.
#[derive(Clone, Debug, Deserialize)]
pub struct Author {
    /// The author's display name.
    pub name: String,
    /// The author's email, if the identity provider shares it.
    #[serde(default)]
    pub email: Option<String>,
}

/// One post.
#[derive(Clone, Debug, Serialize)]
pub struct Post {
    /// Its number.
    pub id: u64,
    /// The title.
    pub title: String,
    /// The `name` claim of the author's token.
    pub author: String,
}

/// The body of `POST /posts`.
#[derive(Debug, Deserialize)]
pub struct NewPost {
    /// The title.
    pub title: String,
}

#[derive(Clone, Default)]
struct Posts(Arc<Mutex<Vec<Post>>>);

/// `GET /posts`.
pub type ReadPosts = scope!("read:posts");
/// `POST /posts`.
pub type WritePosts = scope!("write:posts");
/// `DELETE /posts/{id}`.
pub type DeletePosts = scope!("delete:posts");
/// `GET /admin/users`.
pub type AdminUsers = scope!("admin:users");

/// The OpenAPI document: the operations, their scopes (from the aliases above) and the bearer
/// scheme.
#[derive(OpenApi)]
#[openapi(info(title = "blog-api"), paths(list, create, remove, users), modifiers(&SecurityAddon))]
#[derive(Debug)]
pub struct Docs;

/// The service, behind [`BearerAuthLayer`] with `verifier`, and `/openapi.json` open.
pub fn app(verifier: Verifier) -> Router {
    let document = Arc::new(serde_json::to_value(Docs::openapi()).unwrap_or(Value::Null));
    let openapi = Router::new().route(
        "/openapi.json",
        get(move || {
            let document = Arc::clone(&document);
            async move { Json((*document).clone()) }
        }),
    );
    protected(verifier).merge(openapi)
}

/// The routes behind the layer (what `security_drift` probes).
pub fn protected(verifier: Verifier) -> Router {
    Router::new()
        .route("/posts", get(list).post(create))
        .route("/posts/{id}", delete(remove))
        .route("/admin/users", get(users))
        .with_state(Posts::default())
        .layer(BearerAuthLayer::new(verifier).realm("blog-api"))
}

#[utoipa::path(get, path = "/posts", responses((status = 200, description = "The posts"), (status = 401, description = "No token, or a bad one"), (status = 403, description = "A scope is missing")),
    security(("accessToken" = [scope_at::<ReadPosts, 0>()])))]
async fn list(_: RequireScope<ReadPosts>, State(posts): State<Posts>) -> Json<Vec<Post>> {
    Json(posts.0.lock().unwrap_or_else(PoisonError::into_inner).clone())
}

#[utoipa::path(post, path = "/posts", responses((status = 201, description = "Created"), (status = 401, description = "No token, or a bad one"), (status = 403, description = "A scope is missing")),
    security(("accessToken" = [scope_at::<WritePosts, 0>()])))]
async fn create(
    _: RequireScope<WritePosts>,
    Verified(author): Verified<Claims<Author>>,
    State(posts): State<Posts>,
    Json(new): Json<NewPost>,
) -> (StatusCode, Json<Post>) {
    let mut posts = posts.0.lock().unwrap_or_else(PoisonError::into_inner);
    let post =
        Post { id: posts.len() as u64 + 1, title: new.title, author: author.custom().name.clone() };
    posts.push(post.clone());
    (StatusCode::CREATED, Json(post))
}

#[utoipa::path(delete, path = "/posts/{id}", params(("id" = u64, Path, description = "The post")),
    responses((status = 204, description = "Deleted"), (status = 401, description = "No token, or a bad one"), (status = 403, description = "A scope is missing"), (status = 404, description = "No such post")),
    security(("accessToken" = [scope_at::<DeletePosts, 0>()])))]
async fn remove(
    _: RequireScope<DeletePosts>,
    State(posts): State<Posts>,
    Path(id): Path<u64>,
) -> StatusCode {
    let mut posts = posts.0.lock().unwrap_or_else(PoisonError::into_inner);
    let before = posts.len();
    posts.retain(|post| post.id != id);
    if posts.len() < before { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }
}

#[utoipa::path(get, path = "/admin/users", responses((status = 200, description = "The users"), (status = 401, description = "No token, or a bad one"), (status = 403, description = "A scope is missing")),
    security(("accessToken" = [scope_at::<AdminUsers, 0>()])))]
async fn users(
    _: RequireScope<AdminUsers>,
    Verified(admin): Verified<Claims<Author>>,
) -> Json<Value> {
    Json(json!({"users": [admin.custom().name.clone()], "listed_for": admin.custom().email}))
}

/// A development issuer for the blog: tokens for a reader, an editor and an admin.
pub fn dev_issuer() -> TestIssuer {
    TestIssuer::named("https://dev-issuer.scopegate.local/blog").with_audience(AUDIENCE)
}

/// A token from `issuer` for `name` with `scopes`.
pub fn dev_token(issuer: &TestIssuer, name: &str, scopes: &[&str]) -> String {
    issuer
        .token()
        .subject(&name.to_lowercase())
        .claim("name", name)
        .claim("email", format!("{}@example.com", name.to_lowercase()))
        .scopes(scopes.iter().copied())
        .expires_in(std::time::Duration::from_secs(8 * 3600))
        .sign()
}
