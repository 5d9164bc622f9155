//! OpenAPI from the extractors (feature `aide`): each scopegate extractor is an
//! [`aide::OperationInput`] that adds its operation's security requirement and its `401` /
//! `403` responses, so the document says exactly what the code enforces.
//!
//! ```
//! use aide::axum::{ApiRouter, routing::get};
//! use aide::openapi::OpenApi;
//! use scopegate_axum::openapi::{SECURITY_SCHEME, bearer_security_scheme, declared_scopes, document};
//! use scopegate_axum::{RequireScope, scope};
//!
//! async fn list(_: RequireScope<scope!("orders.read")>) {}
//!
//! let mut api = OpenApi::default();
//! let _router: axum::Router = ApiRouter::new().api_route("/orders", get(list)).finish_api(&mut api);
//! bearer_security_scheme(&mut api);
//! let json = document(&api);
//! assert_eq!(json["paths"]["/orders"]["get"]["security"], serde_json::json!([{ SECURITY_SCHEME: ["orders.read"] }]));
//! assert_eq!(declared_scopes(&api), ["orders.read"]);
//! ```
//!
//! An all-of requirement (`RequireScope`) is one security requirement with every scope; an
//! any-of one (`RequireAnyScope`) one alternative per scope; several extractors on one handler
//! combine (every alternative needs them all). `Verified` alone requires a token without
//! scopes. Roles, `acr` and claim rules have no OpenAPI field: they are listed in the
//! operation's `x-scopegate` extension. Handlers wrapped in `Option` keep aide's own behaviour
//! (the requirement is added, no anonymous alternative).

use aide::generate::GenContext;
use aide::openapi::{
    Components, MediaType, OAuth2Flow, OAuth2Flows, OpenApi, Operation, ReferenceOr, Response,
    SchemaObject, SecurityRequirement, SecurityScheme,
};
use aide::operation::OperationInput;
use indexmap::IndexMap;
use scopegate_core::{ConstStr, ScopeList};
use serde_json::{Value, json};

use crate::openapi_json::operation_scopes;

use crate::{
    CallerToken, ClaimRuleDef, MaxAuthAge, PrefixScope, RequireAcr, RequireAnyRole,
    RequireAnyScope, RequireClaim, RequireRole, RequireScope, Verified,
};

/// The name of the security scheme the requirements refer to.
pub const SECURITY_SCHEME: &str = crate::openapi_json::SECURITY_SCHEME;

/// Adds `scopes` to every alternative of `operation` (all of them are needed), or starts the
/// one alternative.
fn require_all(operation: &mut Operation, scopes: &[&str]) {
    if operation.security.is_empty() {
        operation
            .security
            .push(SecurityRequirement::from([(SECURITY_SCHEME.to_owned(), Vec::new())]));
    }
    for alternative in &mut operation.security {
        let list = alternative.entry(SECURITY_SCHEME.to_owned()).or_default();
        for scope in scopes {
            if !list.iter().any(|have| have == scope) {
                list.push((*scope).to_owned());
            }
        }
    }
}

/// One alternative per scope, each also needing what the operation needed before.
fn require_any(operation: &mut Operation, scopes: &[&str]) {
    let before = if operation.security.is_empty() {
        vec![SecurityRequirement::from([(SECURITY_SCHEME.to_owned(), Vec::new())])]
    } else {
        std::mem::take(&mut operation.security)
    };
    for alternative in before {
        for scope in scopes {
            let mut next = alternative.clone();
            let list = next.entry(SECURITY_SCHEME.to_owned()).or_default();
            if !list.iter().any(|have| have == scope) {
                list.push((*scope).to_owned());
            }
            operation.security.push(next);
        }
    }
}

/// Notes a requirement OpenAPI has no field for in `x-scopegate.<kind>`.
fn note(operation: &mut Operation, kind: &str, values: Value) {
    let entry = operation.extensions.entry("x-scopegate".to_owned()).or_insert_with(|| json!({}));
    if let Value::Object(map) = entry {
        map.insert(kind.to_owned(), values);
    }
}

/// Our JSON error body.
fn error_response(description: &str) -> Response {
    let schema = schemars_aide::json_schema!({
        "type": "object",
        "required": ["error", "error_description"],
        "properties": {
            "error": { "type": "string", "description": "the RFC 6750 error code, `unauthorized` without a token" },
            "error_description": { "type": "string" },
            "required_scopes": { "type": "array", "items": { "type": "string" } }
        }
    });
    let media = MediaType {
        schema: Some(SchemaObject { json_schema: schema, external_docs: None, example: None }),
        ..MediaType::default()
    };
    Response {
        description: description.to_owned(),
        content: IndexMap::from([("application/json".to_owned(), media)]),
        ..Response::default()
    }
}

fn unauthorized() -> (Option<u16>, Response) {
    (Some(401), error_response("No token, or a bad one (see `WWW-Authenticate`)."))
}

fn forbidden() -> (Option<u16>, Response) {
    (
        Some(403),
        error_response(
            "The token lacks a scope (named in `WWW-Authenticate`), a role or a claim this operation needs.",
        ),
    )
}

macro_rules! operation_input {
    ($type:ty, [$($generic:tt)*], |$operation:ident| $body:block, [$($status:ident),*]) => {
        impl<$($generic)*> OperationInput for $type {
            fn operation_input(_: &mut GenContext, $operation: &mut Operation) $body

            fn inferred_early_responses(
                _: &mut GenContext,
                _: &mut Operation,
            ) -> Vec<(Option<u16>, Response)> {
                vec![$($status()),*]
            }
        }
    };
}

operation_input!(RequireScope<S>, [S: ScopeList], |operation| { require_all(operation, S::SCOPES) }, [unauthorized, forbidden]);
operation_input!(RequireAnyScope<S>, [S: ScopeList], |operation| { require_any(operation, S::SCOPES) }, [unauthorized, forbidden]);
operation_input!(PrefixScope<P>, [P: ConstStr], |operation| { require_all(operation, &[P::VALUE]) }, [unauthorized, forbidden]);
operation_input!(RequireRole<R>, [R: ConstStr], |operation| {
    require_all(operation, &[]);
    note(operation, "roles_all_of", json!([R::VALUE]));
}, [unauthorized, forbidden]);
operation_input!(RequireAnyRole<R>, [R: ScopeList], |operation| {
    require_all(operation, &[]);
    note(operation, "roles_any_of", json!(R::SCOPES));
}, [unauthorized, forbidden]);
operation_input!(RequireAcr<A>, [A: ScopeList], |operation| {
    require_all(operation, &[]);
    note(operation, "acr_any_of", json!(A::SCOPES));
}, [unauthorized]);
operation_input!(RequireClaim<R>, [R: ClaimRuleDef], |operation| {
    require_all(operation, &[]);
    note(operation, "claim_rule", json!(R::rule().name()));
}, [unauthorized, forbidden]);
operation_input!(Verified<T>, [T], |operation| { require_all(operation, &[]) }, [unauthorized]);
operation_input!(CallerToken, [], |operation| { require_all(operation, &[]) }, [unauthorized]);

impl<const SECONDS: u64> OperationInput for MaxAuthAge<SECONDS> {
    fn operation_input(_: &mut GenContext, operation: &mut Operation) {
        require_all(operation, &[]);
        note(operation, "max_auth_age", json!(SECONDS));
    }

    fn inferred_early_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, Response)> {
        vec![unauthorized()]
    }
}

/// Adds the security scheme as HTTP bearer (`bearerFormat: JWT`): for APIs whose clients get
/// tokens elsewhere. OpenAPI 3.1 lets a non-OAuth scheme's requirements list scope (role)
/// names, so the requirements keep their scopes.
pub fn bearer_security_scheme(api: &mut OpenApi) {
    let scheme = SecurityScheme::Http {
        scheme: "bearer".to_owned(),
        bearer_format: Some("JWT".to_owned()),
        description: Some("An OAuth 2.0 access token (RFC 6750).".to_owned()),
        extensions: IndexMap::new(),
    };
    insert_scheme(api, scheme);
}

/// Adds the security scheme as OAuth 2.0 with the authorization code flow at the given URLs
/// (from the issuer's discovery document), and `scopes` with their descriptions.
pub fn oauth2_security_scheme(
    api: &mut OpenApi,
    authorization_url: &str,
    token_url: &str,
    scopes: &[(&str, &str)],
) {
    let flows = OAuth2Flows {
        authorization_code: Some(OAuth2Flow::AuthorizationCode {
            authorization_url: authorization_url.to_owned(),
            token_url: token_url.to_owned(),
            refresh_url: None,
            scopes: scopes
                .iter()
                .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
                .collect(),
        }),
        ..OAuth2Flows::default()
    };
    insert_scheme(
        api,
        SecurityScheme::OAuth2 { flows, description: None, extensions: IndexMap::new() },
    );
}

fn insert_scheme(api: &mut OpenApi, scheme: SecurityScheme) {
    let components = api.components.get_or_insert_with(Components::default);
    components.security_schemes.insert(SECURITY_SCHEME.to_owned(), ReferenceOr::Item(scheme));
}

/// The scopes the routes of `api` declare, sorted and without repeats: for the RFC 9728
/// document's `scopes_supported`
/// ([`ProtectedResource::scopes_supported`](scopegate_core::ProtectedResource::scopes_supported)),
/// so that no list is kept by hand.
pub fn declared_scopes(api: &OpenApi) -> Vec<String> {
    let document = document(api);
    let operations = document
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values());
    operation_scopes(operations)
}

/// The document as JSON, with what aide 0.15 writes that OpenAPI 3.1 forbids taken out
/// (`"refreshUrl": null` in OAuth 2.0 flows).
pub fn document(api: &OpenApi) -> Value {
    let mut value = serde_json::to_value(api).unwrap_or(Value::Null);
    strip_null_refresh_urls(&mut value);
    value
}

fn strip_null_refresh_urls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("refreshUrl").is_some_and(Value::is_null) {
                map.remove("refreshUrl");
            }
            map.values_mut().for_each(strip_null_refresh_urls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_null_refresh_urls),
        _ => {}
    }
}
