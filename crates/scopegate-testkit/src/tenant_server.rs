//! [`TenantIssuerServer`]: one identity provider on 127.0.0.1 hosting any number of tenants,
//! the way Keycloak hosts realms and Microsoft Entra ID hosts tenants.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::issuer::TestIssuer;
use crate::key::TestKey;
use crate::server::endpoint::{Filler, json_response, status};

/// Entra's spelling of the tenant in its shared discovery document.
const ENTRA_TEMPLATE: &str = "{tenantid}";

struct Tenants {
    base: String,
    /// Realms by name: `{base}/realms/{name}`, each with its own keys.
    realms: Mutex<HashMap<String, TestIssuer>>,
    /// Entra-style tenants (`{base}/{guid}/v2.0`), all signing with `shared_key`.
    entra: Mutex<HashSet<String>>,
    shared_key: TestKey,
    discovery_fetches: AtomicUsize,
    jwks_fetches: AtomicUsize,
    /// Fetches (discovery and JWKS) by tenant name or id.
    fetches: Mutex<HashMap<String, usize>>,
    /// `jwks_uri`s realms' documents name instead of their own.
    jwks_overrides: Mutex<HashMap<String, String>>,
}

/// An identity provider on 127.0.0.1 hosting many tenants on one port:
///
/// - realms, each with its own P-256 key: `{base}/realms/{name}` with
///   `/.well-known/openid-configuration` and `/jwks` under it (unknown realms: `404`);
/// - Entra-style tenants sharing one key: `{base}/{guid}/v2.0`, with a per-tenant discovery
///   document, and the shared `{base}/common/v2.0/.well-known/openid-configuration` whose
///   `issuer` is the template `{base}/{tenantid}/v2.0` (unknown tenants: `400`, as Entra).
///
/// Tenants can be added, rotated and removed at run time. Stops when dropped.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use scopegate_testkit::TenantIssuerServer;
///
/// let server = TenantIssuerServer::start().await;
/// let acme = server.tenant("acme");
/// assert_eq!(acme.issuer(), format!("{}/realms/acme", server.base_url()));
/// # }
/// ```
pub struct TenantIssuerServer {
    address: SocketAddr,
    state: Arc<Tenants>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl TenantIssuerServer {
    /// Starts with no tenant.
    ///
    /// # Panics
    ///
    /// If 127.0.0.1 has no free port.
    #[allow(clippy::expect_used)]
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
        let address = listener.local_addr().expect("local address");
        let state = Arc::new(Tenants {
            base: format!("http://{address}"),
            realms: Mutex::new(HashMap::new()),
            entra: Mutex::new(HashSet::new()),
            shared_key: TestKey::ec_p256(),
            discovery_fetches: AtomicUsize::new(0),
            jwks_fetches: AtomicUsize::new(0),
            fetches: Mutex::new(HashMap::new()),
            jwks_overrides: Mutex::new(HashMap::new()),
        });
        let task = tokio::spawn(crate::server::accept(listener, Arc::clone(&state), answer));
        Self { address, state, task: Mutex::new(Some(task)) }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The realm `name` (created with a fresh P-256 key on first use): issuer
    /// `{base}/realms/{name}`.
    pub fn tenant(&self, name: &str) -> TestIssuer {
        let mut realms = lock(&self.state.realms);
        let issuer = format!("{}/realms/{name}", self.state.base);
        realms
            .entry(name.to_owned())
            .or_insert_with(|| TestIssuer::named(&issuer).with_key(TestKey::ec_p256()))
            .clone()
    }

    /// Gives the realm `name` a new key, withdrawing the old one from its JWKS; returns the
    /// issuer that signs with the new key.
    pub fn rotate(&self, name: &str) -> TestIssuer {
        let issuer = format!("{}/realms/{name}", self.state.base);
        let rotated = TestIssuer::named(&issuer).with_key(TestKey::ec_p256());
        lock(&self.state.realms).insert(name.to_owned(), rotated.clone());
        rotated
    }

    /// Makes the realm `name`'s discovery document name `jwks_uri` as its keys (a tenant whose
    /// document points elsewhere: another origin, an internal address).
    pub fn set_jwks_uri(&self, name: &str, jwks_uri: &str) {
        lock(&self.state.jwks_overrides).insert(name.to_owned(), jwks_uri.to_owned());
    }

    /// Removes the realm `name`: its documents answer `404` from now on.
    pub fn remove_tenant(&self, name: &str) {
        lock(&self.state.realms).remove(name);
    }

    /// The Entra-style tenant `guid` (registered on first use): issuer `{base}/{guid}/v2.0`,
    /// signing with the key all such tenants share. Its tokens should carry `tid` = `guid`.
    pub fn entra_tenant(&self, guid: &str) -> TestIssuer {
        lock(&self.state.entra).insert(guid.to_owned());
        TestIssuer::named(&format!("{}/{guid}/v2.0", self.state.base))
            .with_key(self.state.shared_key.clone())
    }

    /// The shared discovery issuer of the Entra-style tenants: `{base}/common/v2.0`.
    pub fn entra_common(&self) -> String {
        format!("{}/common/v2.0", self.state.base)
    }

    /// Discovery documents served (any tenant, `404`s and `400`s included).
    pub fn discovery_fetches(&self) -> usize {
        self.state.discovery_fetches.load(Ordering::SeqCst)
    }

    /// JWKS served (any tenant).
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    /// Requests (discovery and JWKS) for the realm or Entra tenant `name` (`common` for the
    /// shared ones).
    pub fn fetches_for(&self, name: &str) -> usize {
        lock(&self.state.fetches).get(name).copied().unwrap_or(0)
    }

    /// Requests of any kind the server answered, for every tenant.
    pub fn requests(&self) -> usize {
        self.discovery_fetches() + self.jwks_fetches()
    }
}

impl std::fmt::Debug for TenantIssuerServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantIssuerServer").field("address", &self.address).finish_non_exhaustive()
    }
}

impl Drop for TenantIssuerServer {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.task).take() {
            task.abort();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn answer(
    state: Arc<Tenants>,
    request: Request<Incoming>,
) -> Result<Response<Filler>, std::io::Error> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let base = &state.base;
    let count = |name: &str, discovery: bool| {
        let counter = if discovery { &state.discovery_fetches } else { &state.jwks_fetches };
        counter.fetch_add(1, Ordering::SeqCst);
        *lock(&state.fetches).entry(name.to_owned()).or_default() += 1;
    };
    let document = |issuer: String, jwks: String| {
        let body = json!({"issuer": issuer, "jwks_uri": jwks}).to_string().into_bytes();
        Ok(json_response(body, None))
    };
    match segments.as_slice() {
        ["realms", name, ".well-known", "openid-configuration"] => {
            count(name, true);
            if !lock(&state.realms).contains_key(*name) {
                return Ok(status(StatusCode::NOT_FOUND));
            }
            let jwks = lock(&state.jwks_overrides).get(*name).cloned();
            let jwks = jwks.unwrap_or_else(|| format!("{base}/realms/{name}/jwks"));
            document(format!("{base}/realms/{name}"), jwks)
        }
        ["realms", name, "jwks"] => {
            count(name, false);
            match lock(&state.realms).get(*name) {
                Some(issuer) => Ok(json_response(issuer.jwks().to_string().into_bytes(), None)),
                None => Ok(status(StatusCode::NOT_FOUND)),
            }
        }
        [".well-known", "oauth-authorization-server", "realms", name] => {
            count(name, true);
            Ok(status(StatusCode::NOT_FOUND))
        }
        ["common", "v2.0", ".well-known", "openid-configuration"] => {
            count("common", true);
            let issuer = format!("{base}/{ENTRA_TEMPLATE}/v2.0");
            document(issuer, format!("{base}/common/discovery/v2.0/keys"))
        }
        ["common", "discovery", "v2.0", "keys"] => {
            count("common", false);
            let jwks = json!({"keys": [state.shared_key.public_jwk()]});
            Ok(json_response(jwks.to_string().into_bytes(), None))
        }
        [tenant, "v2.0", ".well-known", "openid-configuration"] => {
            count(tenant, true);
            if !lock(&state.entra).contains(*tenant) {
                return Ok(status(StatusCode::BAD_REQUEST));
            }
            document(format!("{base}/{tenant}/v2.0"), format!("{base}/common/discovery/v2.0/keys"))
        }
        _ => Ok(status(StatusCode::NOT_FOUND)),
    }
}
