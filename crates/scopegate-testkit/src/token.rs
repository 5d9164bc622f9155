//! Minting access tokens, valid or deliberately broken.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use scopegate_core::{Algorithm, NumericDate};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::key::{TestKey, sign_hmac_with};

static NEXT_JTI: AtomicU64 = AtomicU64::new(1);

/// Builds one signed token. Start with [`TestIssuer::token`](crate::TestIssuer::token).
///
/// The defaults make a valid RFC 9068 access token: header `typ: at+jwt` and the key's `kid`
/// and `alg`; claims `iss`, `aud`, `sub: "test-user"`, `client_id: "test-client"`, `iat` now,
/// `exp` in 5 minutes, and a unique `jti`.
#[derive(Clone)]
#[must_use]
pub struct TokenBuilder {
    key: TestKey,
    algorithm: Algorithm,
    header: Map<String, Value>,
    claims: Map<String, Value>,
}

/// The current time in whole seconds since the epoch.
fn now() -> u64 {
    NumericDate::now().as_secs()
}

impl TokenBuilder {
    pub(crate) fn new(key: TestKey, issuer: &str, audience: &str) -> Self {
        let now = now();
        let mut header = Map::new();
        header.insert("typ".into(), json!("at+jwt"));
        header.insert("kid".into(), json!(key.kid()));
        let mut claims = Map::new();
        for (name, value) in [
            ("iss", json!(issuer)),
            ("aud", json!(audience)),
            ("sub", json!("test-user")),
            ("client_id", json!("test-client")),
            ("iat", json!(now)),
            ("exp", json!(now + 300)),
            ("jti", json!(format!("jti-{}", NEXT_JTI.fetch_add(1, Ordering::Relaxed)))),
        ] {
            claims.insert(name.into(), value);
        }
        Self { algorithm: key.algorithm(), key, header, claims }
    }

    /// Binds the token to `client`'s key: `cnf: {"jkt": <its thumbprint>}` (RFC 9449 section
    /// 6.1).
    pub fn bound_to(self, client: &TestKey) -> Self {
        self.claim("cnf", json!({ "jkt": client.thumbprint() }))
    }

    /// Binds the token to `certificate`: `cnf.x5t#S256` is its SHA-256 thumbprint (RFC 8705
    /// section 3.1), beside a `jkt` already there.
    pub fn bound_to_certificate(mut self, certificate: &crate::TestCertificate) -> Self {
        let thumbprint = json!(certificate.thumbprint().as_str());
        match self.claims.get_mut("cnf") {
            Some(Value::Object(cnf)) => {
                cnf.insert("x5t#S256".into(), thumbprint);
            }
            _ => {
                self.claims.insert("cnf".into(), json!({ "x5t#S256": thumbprint }));
            }
        }
        self
    }

    /// Sets any claim to any JSON value.
    ///
    /// # Panics
    ///
    /// If `value` cannot be represented as JSON.
    #[allow(clippy::expect_used)]
    pub fn claim(mut self, name: &str, value: impl Serialize) -> Self {
        self.claims.insert(name.into(), serde_json::to_value(value).expect("claim value as JSON"));
        self
    }

    /// Removes a claim (`exp`, say, to test that it is required).
    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    /// Sets `iss`.
    pub fn issuer(self, issuer: &str) -> Self {
        self.claim("iss", issuer)
    }

    /// Sets `sub`.
    pub fn subject(self, subject: &str) -> Self {
        self.claim("sub", subject)
    }

    /// Sets `aud` to one string.
    pub fn audience(self, audience: &str) -> Self {
        self.claim("aud", audience)
    }

    /// Sets `aud` to an array.
    pub fn audiences<'a>(self, audiences: impl IntoIterator<Item = &'a str>) -> Self {
        let audiences: Vec<&str> = audiences.into_iter().collect();
        self.claim("aud", audiences)
    }

    /// Sets `scope` to the scopes joined by single spaces.
    pub fn scopes<'a>(self, scopes: impl IntoIterator<Item = &'a str>) -> Self {
        let scopes: Vec<&str> = scopes.into_iter().collect();
        self.claim("scope", scopes.join(" "))
    }

    /// Sets `client_id`.
    pub fn client_id(self, client_id: &str) -> Self {
        self.claim("client_id", client_id)
    }

    /// Sets `roles` to an array.
    pub fn roles<'a>(self, roles: impl IntoIterator<Item = &'a str>) -> Self {
        let roles: Vec<&str> = roles.into_iter().collect();
        self.claim("roles", roles)
    }

    /// Sets `exp` to `lifetime` from now.
    pub fn expires_in(self, lifetime: Duration) -> Self {
        self.claim("exp", now() + lifetime.as_secs())
    }

    /// Sets `iat` and `exp` so that the token expired an hour ago.
    pub fn expired(self) -> Self {
        let now = now();
        self.claim("iat", now - 7200).claim("exp", now - 3600)
    }

    /// Sets `exp` to `now + offset` seconds (negative for the past).
    pub fn expires_at_offset(self, offset: i64) -> Self {
        self.claim("exp", now().saturating_add_signed(offset))
    }

    /// Sets `iat` to `now + offset` seconds.
    pub fn issued_at_offset(self, offset: i64) -> Self {
        self.claim("iat", now().saturating_add_signed(offset))
    }

    /// Sets `nbf` to `now + offset` seconds.
    pub fn not_before_offset(self, offset: i64) -> Self {
        self.claim("nbf", now().saturating_add_signed(offset))
    }

    /// Sets a header member.
    ///
    /// # Panics
    ///
    /// If `value` cannot be represented as JSON.
    #[allow(clippy::expect_used)]
    pub fn header(mut self, name: &str, value: impl Serialize) -> Self {
        self.header.insert(name.into(), serde_json::to_value(value).expect("header value as JSON"));
        self
    }

    /// Removes a header member (`kid` or `typ`).
    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Sets `kid`.
    pub fn key_id(self, kid: &str) -> Self {
        self.header("kid", kid)
    }

    /// Sets `typ`.
    pub fn typ(self, typ: &str) -> Self {
        self.header("typ", typ)
    }

    /// Signs with `algorithm` and says so in `alg` (`PS256` with an RSA key, say).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The header and claims as they stand, `alg` included.
    pub fn parts(&self) -> (Value, Value) {
        let (header, claims) = self.maps();
        (Value::Object(header), Value::Object(claims))
    }

    pub(crate) fn maps(&self) -> (Map<String, Value>, Map<String, Value>) {
        let mut header = self.header.clone();
        header.entry("alg").or_insert_with(|| json!(self.algorithm.as_str()));
        (header, self.claims.clone())
    }

    /// Signs with the issuer's key.
    pub fn sign(self) -> String {
        let key = self.key.clone();
        self.sign_with(&key)
    }

    /// Signs with another key, keeping this token's `kid`: the verifier finds the issuer's key
    /// and the signature fails.
    pub fn sign_with(self, key: &TestKey) -> String {
        let (header, claims) = self.maps();
        let input = signing_input(&header, &claims);
        let signature = key.sign(self.algorithm, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// Signs with HMAC (`alg` set to `algorithm`) using arbitrary bytes as the secret: the
    /// key-confusion attack, where the secret is the issuer's public key.
    pub fn sign_hmac_with_secret(self, algorithm: Algorithm, secret: &[u8]) -> String {
        let (mut header, claims) = self.maps();
        header.insert("alg".into(), json!(algorithm.as_str()));
        let input = signing_input(&header, &claims);
        let signature = sign_hmac_with(secret, algorithm, input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An unsecured token: `alg` spelled as given (`none`, `NONE`, ...), empty signature.
    pub fn unsigned(self, alg_spelling: &str) -> String {
        let (mut header, claims) = self.maps();
        header.insert("alg".into(), json!(alg_spelling));
        format!("{}.", signing_input(&header, &claims))
    }

    /// A validly signed token whose payload was then changed (`scope` widened to `admin`),
    /// keeping the original signature.
    pub fn tampered(self) -> String {
        let (header, mut claims) = self.maps();
        let token = self.sign();
        let signature = token.rsplit('.').next().unwrap_or_default().to_owned();
        claims.insert("scope".into(), json!("admin"));
        format!("{}.{signature}", signing_input(&header, &claims))
    }
}

pub(crate) fn signing_input(header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    let encode = |value: &Map<String, Value>| {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
    };
    format!("{}.{}", encode(header), encode(claims))
}

/// Assembles a compact token from raw parts: `base64url(header).base64url(payload).
/// base64url(signature)`. For tokens no builder would make (duplicate members, invalid UTF-8).
pub fn encode_token(header: &[u8], payload: &[u8], signature: &[u8]) -> String {
    let encode = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    format!("{}.{}.{}", encode(header), encode(payload), encode(signature))
}

impl fmt::Debug for TokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (header, claims) = self.parts();
        f.debug_struct("TokenBuilder").field("header", &header).field("claims", &claims).finish()
    }
}
