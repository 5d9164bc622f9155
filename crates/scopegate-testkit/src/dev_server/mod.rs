//! [`DevAuthorizationServer`]: an OAuth 2.1 authorization server for development, on one
//! port, that any MCP client can log in to with no setup. **It approves every request, as one
//! development user, without asking anyone: never run it where anything real is at stake.**
//!
//! It serves what MCP clients (the official TypeScript SDK, the MCP Inspector, rmcp) need:
//! RFC 8414 metadata (also at the OpenID Connect discovery path), RFC 7591 dynamic
//! registration of public clients, Client ID Metadata Documents, the authorization code grant with PKCE (S256 only) and an
//! automatic approval that redirects straight back with a code (and RFC 9207 `iss`), RFC 8707
//! `resource` binding each token's `aud` to the MCP server, the scopes the client asked for
//! (so step-up to more scopes works), rotated refresh tokens when the client asks for
//! `offline_access` (as Auth0 and Okta do), RFC 8693 token exchange for the MCP server's own
//! calls downstream, and the JWKS its tokens verify with. Its endpoints send CORS headers, for browser clients.

mod clients;
mod documents;
mod grants;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use scopegate_core::NumericDate;
use scopegate_core::remote::HttpClient;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::issuer::TestIssuer;
use crate::server::accept;
use crate::server::endpoint::{Filler, json_response, status};
use crate::server::exchange::{Exchange, GRANT as TOKEN_EXCHANGE};
use clients::Clients;
use grants::{Bounded, CODE_LIFETIME, Code, Grant, REFRESH_LIFETIME, Refresh};

/// The subject of every token: the one development user, approved without asking.
pub const DEV_SUBJECT: &str = "dev-user";

/// How long an access token lives.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How many clients, codes and refresh tokens are remembered.
const MAX_ENTRIES: usize = 1_000;
/// The largest request body read.
const MAX_BODY_BYTES: usize = 64 * 1024;

struct State {
    issuer: TestIssuer,
    resource: String,
    scopes: Vec<String>,
    tables: Mutex<Tables>,
    /// RFC 8693, for the resource server's own calls downstream.
    exchange: Exchange,
    /// The resource server's client credentials, for token exchange.
    exchange_client: (String, String),
    /// Fetches client metadata documents, when they are accepted.
    documents: Mutex<Option<Arc<dyn HttpClient>>>,
}

struct Tables {
    clients: Clients,
    codes: Bounded<Code>,
    refresh: Bounded<Refresh>,
}

/// An OAuth 2.1 authorization server for development that any MCP client can log in to with
/// no setup. **It approves every request, as [`DEV_SUBJECT`], without asking anyone: never run
/// it where anything real is at stake.** Stops when dropped.
///
/// RFC 8414 metadata (also at the OpenID Connect discovery path), RFC 7591 registration of
/// public clients, Client ID Metadata Documents (with
/// [`fetch_client_metadata_with`](Self::fetch_client_metadata_with)), the authorization code grant with PKCE (S256 only; a code is used once and
/// bound to its client, redirect URI, verifier and resource), tokens whose `aud` is the RFC 8707
/// `resource`, the scopes asked for, rotated refresh tokens for `offline_access`, its JWKS, and
/// CORS headers for browser clients.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use scopegate_testkit::DevAuthorizationServer;
///
/// let server = DevAuthorizationServer::start("http://127.0.0.1:3004/mcp", &["orders.read"]).await;
/// let verifier = server.issuer().verifier();
/// let token = server.issuer().token().subject("dev-user").scopes(["orders.read"]).sign();
/// assert_eq!(verifier.verify(&token).await.unwrap().subject(), Some("dev-user"));
/// assert!(server.url().starts_with("http://127.0.0.1:"));
/// # }
/// ```
pub struct DevAuthorizationServer {
    state: Arc<State>,
    address: SocketAddr,
    task: JoinHandle<()>,
}

impl DevAuthorizationServer {
    /// Serves on a free port of 127.0.0.1, for the protected resource `resource` (the MCP
    /// server's URL, the only `resource` it issues tokens for) and the `scopes` it supports.
    ///
    /// # Panics
    ///
    /// If 127.0.0.1 has no free port.
    #[allow(clippy::expect_used)]
    pub async fn start(resource: &str, scopes: &[&str]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        Self::serve(listener, resource, scopes)
    }

    /// Serves on `listener` (bound by the caller, to choose the address). The issuer is
    /// `http://<listener's address>`.
    ///
    /// # Panics
    ///
    /// If the listener has no local address.
    #[allow(clippy::expect_used)]
    pub fn serve(listener: TcpListener, resource: &str, scopes: &[&str]) -> Self {
        let address = listener.local_addr().expect("local address");
        let issuer = TestIssuer::named(&format!("http://{address}")).with_audience(resource);
        tracing::warn!(
            issuer = issuer.issuer(),
            "the development authorization server approves every request: never use it in production"
        );
        let tables = Tables {
            clients: Clients::default(),
            codes: Bounded::new(MAX_ENTRIES),
            refresh: Bounded::new(MAX_ENTRIES),
        };
        let state = Arc::new(State {
            exchange: Exchange::new(issuer.clone()).for_audience(resource),
            exchange_client: (EXCHANGE_CLIENT_ID.to_owned(), random_id()),
            documents: Mutex::new(None),
            issuer,
            resource: resource.to_owned(),
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            tables: Mutex::new(tables),
        });
        let task = tokio::spawn(accept(listener, Arc::clone(&state), answer));
        Self { state, address, task }
    }

    /// The issuer that signs its tokens (named with the server's URL, its audience the
    /// resource): a verifier built from its keys trusts them.
    pub fn issuer(&self) -> &TestIssuer {
        &self.state.issuer
    }

    /// `http://127.0.0.1:<port>`, the issuer identifier.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The client id and secret with which the protected resource exchanges its callers'
    /// tokens (RFC 8693, at `{url}/token`) for tokens of another audience, narrowed to scopes
    /// the caller's token has.
    pub fn exchange_client(&self) -> (&str, &str) {
        (&self.state.exchange_client.0, &self.state.exchange_client.1)
    }

    /// Accepts clients whose `client_id` is the URL of their metadata document (Client ID
    /// Metadata Documents, which MCP 2025-11-25 lists beside registration), fetched with
    /// `client` (scopegate's `HttpsClient`, say) from `https` URLs, or plain `http` on this
    /// machine. The metadata then says `client_id_metadata_document_supported`.
    pub fn fetch_client_metadata_with(&self, client: impl HttpClient) {
        *self.state.documents.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Arc::new(client));
    }
}

/// The client id of the protected resource for token exchange.
const EXCHANGE_CLIENT_ID: &str = "resource-server";

impl Drop for DevAuthorizationServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for DevAuthorizationServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevAuthorizationServer").field("url", &self.url()).finish_non_exhaustive()
    }
}

async fn answer(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Filler>, std::io::Error> {
    let (parts, body) = request.into_parts();
    // Pages on this machine may call it (the MCP Inspector, a development client); a page on
    // any other origin gets nothing, not even a registration: `403` before any work.
    let origin = parts.headers.get(header::ORIGIN).cloned();
    if let Some(origin) = &origin
        && !origin.to_str().is_ok_and(clients::is_loopback_origin)
    {
        return Ok(error(
            StatusCode::FORBIDDEN,
            "access_denied",
            "requests from this origin are not allowed",
        ));
    }
    let mut response = match (&parts.method, parts.uri.path()) {
        (&Method::OPTIONS, _) => status(StatusCode::NO_CONTENT),
        (
            &Method::GET,
            "/.well-known/oauth-authorization-server" | "/.well-known/openid-configuration",
        ) => json_response(metadata(&state).to_string().into_bytes(), None),
        (&Method::GET, "/jwks") => {
            json_response(state.issuer.jwks().to_string().into_bytes(), None)
        }
        (&Method::GET, "/authorize") => {
            authorize(&state, parts.uri.query().unwrap_or_default()).await
        }
        (&Method::POST, "/register" | "/token") => {
            let Ok(body) =
                Limited::new(body, MAX_BODY_BYTES).collect().await.map(|body| body.to_bytes())
            else {
                return Ok(error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "invalid_request",
                    "the body is too large",
                ));
            };
            if parts.uri.path() == "/register" {
                register(&state, &body)
            } else {
                token(&state, &parts.headers, &body)
            }
        }
        _ => status(StatusCode::NOT_FOUND),
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    let Some(origin) = origin else { return Ok(response) };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type, authorization, mcp-protocol-version"),
    );
    Ok(response)
}

/// RFC 8414 metadata, with what MCP clients look for.
fn metadata(state: &State) -> Value {
    let base = state.issuer.issuer();
    json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "registration_endpoint": format!("{base}/register"),
        "jwks_uri": format!("{base}/jwks"),
        "scopes_supported": state.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", TOKEN_EXCHANGE],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "client_id_metadata_document_supported": lock_documents(state).is_some(),
    })
}

fn lock_documents(state: &State) -> Option<Arc<dyn HttpClient>> {
    state.documents.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

fn lock(state: &State) -> std::sync::MutexGuard<'_, Tables> {
    state.tables.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_id() -> String {
    let mut bytes = [0u8; 32];
    let _ = aws_lc_rs::rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JSON error (RFC 6749 section 5.2, RFC 7591 section 3.2.2), never cached.
fn error(code: StatusCode, error: &str, description: &str) -> Response<Filler> {
    let body = json!({"error": error, "error_description": description}).to_string().into_bytes();
    let mut response = json_response(body, Some("no-store".to_owned()));
    *response.status_mut() = code;
    response
}

fn register(state: &State, body: &Bytes) -> Response<Filler> {
    let Ok(metadata) = scopegate_core::json::parse_value(body, 16) else {
        return error(StatusCode::BAD_REQUEST, "invalid_client_metadata", "the body is not JSON");
    };
    let now = NumericDate::now().as_secs();
    match lock(state).clients.register(&metadata, random_id(), now, MAX_ENTRIES) {
        Ok(answer) => {
            let mut response =
                json_response(answer.to_string().into_bytes(), Some("no-store".to_owned()));
            *response.status_mut() = StatusCode::CREATED;
            response
        }
        Err((code, description)) => error(StatusCode::BAD_REQUEST, code, description),
    }
}

/// The parameters of `query`, each at most once (RFC 6749 section 3.1); `None` otherwise.
fn parameters(query: &str) -> Option<HashMap<String, String>> {
    let mut parameters = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()).into_owned() {
        if parameters.insert(name, value).is_some() {
            return None;
        }
    }
    Some(parameters)
}

/// The authorization endpoint: the client and its redirect URI are checked first (a mismatch
/// is a `400` page, never a redirect: no open redirector); anything else wrong goes back to
/// the client as an error; all well, the development user approves at once.
async fn authorize(state: &State, query: &str) -> Response<Filler> {
    let Some(parameters) = parameters(query) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "a parameter appears twice");
    };
    let field = |name: &str| parameters.get(name).map(String::as_str);
    let client_id = field("client_id").unwrap_or_default();
    let redirect_uri = field("redirect_uri").unwrap_or_default();
    // A client known by its metadata document: fetched each time, so that it is current.
    if let Some(fetcher) = lock_documents(state).filter(|_| documents::is_document_url(client_id)) {
        let now = NumericDate::now().as_secs();
        let described = match documents::fetch(fetcher, client_id).await {
            Ok(metadata) => {
                lock(state).clients.register(&metadata, client_id.to_owned(), now, MAX_ENTRIES)
            }
            Err(refusal) => Err(refusal),
        };
        if let Err((code, description)) = described {
            return error(StatusCode::BAD_REQUEST, code, description);
        }
    }
    let registered = lock(state).clients.get(client_id).cloned();
    let Some(client) = registered else {
        return error(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id");
    };
    if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri is not one the client registered",
        );
    }
    let back = |pairs: &[(&str, &str)]| {
        let mut target = form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            target.append_pair(name, value);
        }
        if let Some(state) = field("state") {
            target.append_pair("state", state);
        }
        target.append_pair("iss", state.issuer.issuer());
        let separator = if redirect_uri.contains('?') { '&' } else { '?' };
        let location = format!("{redirect_uri}{separator}{}", target.finish());
        let mut response = status(StatusCode::FOUND);
        if let Ok(location) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    };
    let refuse = |code: &str, description: &str| {
        back(&[("error", code), ("error_description", description)])
    };
    if field("response_type") != Some("code") {
        return refuse("unsupported_response_type", "response_type must be code");
    }
    let challenge = field("code_challenge").unwrap_or_default();
    let well_formed = challenge.len() == 43 && URL_SAFE_NO_PAD.decode(challenge).is_ok();
    if field("code_challenge_method") != Some("S256") || !well_formed {
        return refuse("invalid_request", "PKCE with code_challenge_method S256 is required");
    }
    let resource = field("resource").unwrap_or(&state.resource);
    if resource != state.resource {
        return refuse("invalid_target", "this server issues tokens for one resource only");
    }
    let scopes: Vec<String> =
        field("scope").unwrap_or_default().split_whitespace().map(str::to_owned).collect();
    let known = |scope: &String| state.scopes.contains(scope) || scope == "offline_access";
    if !scopes.iter().all(known) {
        return refuse("invalid_scope", "a scope this server does not know");
    }
    // `offline_access` asks for refresh tokens (as at Auth0 or Okta), not for access.
    let offline = scopes.iter().any(|scope| scope == "offline_access");
    let scopes = scopes.into_iter().filter(|scope| scope != "offline_access").collect();
    let code = random_id();
    let grant =
        Grant { client_id: client_id.to_owned(), scopes, resource: resource.to_owned(), offline };
    let expires = NumericDate::now().as_secs() + CODE_LIFETIME;
    let pending = Code {
        grant,
        redirect_uri: redirect_uri.to_owned(),
        challenge: challenge.to_owned(),
        expires,
    };
    lock(state).codes.insert(code.clone(), pending);
    back(&[("code", &code)])
}

/// The token endpoint: an authorization code or a refresh token for an access token (and a
/// refresh token for `offline_access`); for the resource server's credentials, a caller's
/// token for one of another audience (RFC 8693).
fn token(state: &State, headers: &http::HeaderMap, body: &Bytes) -> Response<Filler> {
    let Some(form) = parameters(std::str::from_utf8(body).unwrap_or_default()) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "a parameter appears twice");
    };
    let now = NumericDate::now().as_secs();
    if form.get("grant_type").map(String::as_str) == Some(TOKEN_EXCHANGE) {
        return state.exchange.answer(headers, body, &state.exchange_client, now);
    }
    let presented = |name: &str| form.get(name).cloned().unwrap_or_default();
    let grant = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = lock(state).codes.take(&presented("code"));
            grants::redeem_code(code, &form, now)
        }
        Some("refresh_token") => {
            let refresh = lock(state).refresh.take(&presented("refresh_token"));
            grants::redeem_refresh(refresh, &form, now)
        }
        _ => Err(("unsupported_grant_type", "authorization_code or refresh_token")),
    };
    let grant = match grant {
        Ok(grant) => grant,
        Err((code, description)) => return error(StatusCode::BAD_REQUEST, code, description),
    };
    let access_token = state
        .issuer
        .token()
        .subject(DEV_SUBJECT)
        .audience(&grant.resource)
        .scopes(grant.scopes.iter().map(String::as_str))
        .client_id(&grant.client_id)
        .expires_in(TOKEN_LIFETIME)
        .sign();
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME.as_secs(),
        "scope": grant.scopes.join(" "),
    });
    if grant.offline {
        let refresh_token = random_id();
        let value = Value::from(refresh_token.as_str());
        answer.as_object_mut().map(|answer| answer.insert("refresh_token".to_owned(), value));
        lock(state)
            .refresh
            .insert(refresh_token, Refresh { grant, expires: now + REFRESH_LIFETIME });
    }
    json_response(answer.to_string().into_bytes(), Some("no-store".to_owned()))
}
