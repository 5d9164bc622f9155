//! The embedded development issuer: a key pair in memory, a verifier that trusts it, and
//! ready-made tokens for the three kinds of caller.

use std::time::Duration;

use scopegate::dpop::{Dpop, DpopMode};
use scopegate::{Algorithm, ProtectedResource, Verifier, VerifierBuilder};
use scopegate_testkit::{TestIssuer, TestKey};

/// The issuer name of development tokens.
pub const ISSUER: &str = "https://dev-issuer.scopegate.local";
/// The audience of the orders API.
pub const AUDIENCE: &str = "orders-api";
/// How long the printed tokens stay valid.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// How old a DPoP proof may be in development, so that the printed proof still works when
/// you paste the banner's command minutes after start. Production keeps the 60 s default.
pub const DEV_PROOF_MAX_AGE: Duration = TOKEN_LIFETIME;

/// The DPoP proof algorithms the orders API accepts (the `algs` of its challenges).
pub const DPOP_ALGS: &str = "ES256 EdDSA";

/// A development identity provider for the orders API, and a DPoP client key.
#[derive(Debug)]
pub struct DevIssuer {
    issuer: TestIssuer,
    dpop_client: TestKey,
}

/// A DPoP-bound token and one proof made for a request with it.
#[derive(Debug, Clone)]
pub struct DevDpop {
    /// The token, bound to the development client's key (`cnf.jkt`).
    pub token: String,
    /// A proof for `GET <url>`; each proof is accepted once.
    pub proof: String,
}

/// A printed token: who it is for, and the token.
#[derive(Debug, Clone)]
pub struct DevToken {
    /// The shell variable it is exported as.
    pub name: &'static str,
    /// What the caller may do.
    pub description: &'static str,
    /// The signed token.
    pub token: String,
}

impl Default for DevIssuer {
    fn default() -> Self {
        Self::new()
    }
}

impl DevIssuer {
    /// A fresh key pair (RSA 2048).
    pub fn new() -> Self {
        Self {
            issuer: TestIssuer::named(ISSUER).with_audience(AUDIENCE),
            dpop_client: TestKey::ec_p256(),
        }
    }

    /// A verifier that trusts this issuer for the orders API.
    ///
    /// # Panics
    ///
    /// Never in practice: the configuration is fixed.
    #[allow(clippy::expect_used)]
    pub fn verifier(&self) -> Verifier {
        self.verifier_builder().build_static().expect("the development verifier")
    }

    /// A verifier that trusts this issuer for the orders API, published as the protected
    /// resource `resource` (RFC 9728): challenges then point to its metadata document.
    ///
    /// # Errors
    ///
    /// When `resource` is not an https (or loopback http) URL.
    pub fn verifier_for(&self, resource: &str) -> Result<Verifier, scopegate::Error> {
        self.verifier_builder().protected_resource(protected_resource(resource)?).build_static()
    }

    /// The builder of [`verifier`](Self::verifier), to change its settings.
    pub fn verifier_builder(&self) -> VerifierBuilder {
        self.issuer.verifier_builder()
    }

    /// A reader token for `subject`, valid for [`TOKEN_LIFETIME`]: load tests mint thousands.
    pub fn reader_token(&self, subject: &str) -> String {
        self.issuer
            .token()
            .subject(subject)
            .scopes(["orders.read"])
            .expires_in(TOKEN_LIFETIME)
            .sign()
    }

    /// DPoP allowed for proofs made for `public_url`, with [`DEV_PROOF_MAX_AGE`].
    ///
    /// # Errors
    ///
    /// When `public_url` is not an absolute http(s) URL.
    pub fn dpop(&self, public_url: &str) -> Result<Dpop, scopegate::Error> {
        Ok(Dpop::new(DpopMode::Allowed, public_url)?
            .algorithms([Algorithm::ES256, Algorithm::EdDSA])
            .proof_max_age(DEV_PROOF_MAX_AGE))
    }

    /// A reader token bound to the development client's key, and a proof for `GET url`.
    pub fn dpop_reader(&self, url: &str) -> DevDpop {
        let token = self
            .issuer
            .token()
            .subject("dave")
            .client_id("mobile-app")
            .scopes(["orders.read"])
            .expires_in(TOKEN_LIFETIME)
            .bound_to(&self.dpop_client)
            .sign();
        let proof = self.dpop_client.dpop_proof("GET", url).access_token(&token).sign();
        DevDpop { token, proof }
    }

    /// The issuer that signs the tokens.
    pub fn test_issuer(&self) -> &TestIssuer {
        &self.issuer
    }

    /// The issuer's name.
    pub fn issuer(&self) -> &str {
        self.issuer.issuer()
    }

    /// Tokens for a reader, a writer and an operator.
    pub fn tokens(&self) -> Vec<DevToken> {
        let token = |subject: &str, client: &str, scopes: &[&str], roles: &[&str]| {
            self.issuer
                .token()
                .subject(subject)
                .client_id(client)
                .scopes(scopes.iter().copied())
                .roles(roles.iter().copied())
                .expires_in(TOKEN_LIFETIME)
                .sign()
        };
        vec![
            DevToken {
                name: "READER",
                description: "orders.read",
                token: token("alice", "reporting", &["orders.read"], &[]),
            },
            DevToken {
                name: "WRITER",
                description: "orders.read orders.write",
                token: token("bob", "portal-spa", &["orders.read", "orders.write"], &[]),
            },
            DevToken {
                name: "OPERATOR",
                description: "orders.read orders.approve, role operator",
                token: token(
                    "carol",
                    "backoffice",
                    &["orders.read", "orders.approve"],
                    &["operator"],
                ),
            },
        ]
    }
}

/// The orders API as a protected resource at `resource`, with its scopes.
///
/// # Errors
///
/// When `resource` is not an https (or loopback http) URL.
pub fn protected_resource(resource: &str) -> Result<ProtectedResource, scopegate::Error> {
    // `scopes_supported` comes from the routes (`crate::app`), not from a list kept here.
    Ok(ProtectedResource::new(resource)?.resource_name("orders-api"))
}

/// The banner printed at start: the issuer, the tokens as shell exports, and curl commands
/// with the status each returns. `metadata` is the URL of the metadata document; `dpop` a
/// bound token with a proof for `GET <base>/orders`.
pub fn banner(
    issuer: &DevIssuer,
    tokens: &[DevToken],
    dpop: &DevDpop,
    base: &str,
    metadata: &str,
) -> String {
    let mut out = format!(
        "orders-api on {base} with the embedded development issuer {}\n\
         (set SCOPEGATE_ISSUER and SCOPEGATE_AUDIENCE to trust a real one)\n\n\
         # tokens, valid for {} hours:\n",
        issuer.issuer(),
        TOKEN_LIFETIME.as_secs() / 3600,
    );
    for token in tokens {
        out.push_str(&format!("# {}\nexport {}={}\n", token.description, token.name, token.token));
    }
    out.push_str(&format!(
        "# orders.read, bound to a DPoP key (RFC 9449), and one proof for GET {base}/orders\n\
         export DPOP_READER={}\nexport DPOP_PROOF={}\n",
        dpop.token, dpop.proof
    ));
    let json = "-H 'content-type: application/json'";
    let challenge = format!(r#"401 Bearer realm="orders-api", resource_metadata="{metadata}""#);
    let replayed = format!(
        r#"401 DPoP error="invalid_dpop_proof", error_description="the DPoP proof was used before", algs="{DPOP_ALGS}", resource_metadata="{metadata}""#
    );
    let commands = [
        ("200", format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/health")),
        ("200", format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {metadata}")),
        ("200", format!("curl -s -o /dev/null -w '%{{http_code}}\\n' {base}/openapi.json")),
        (
            challenge.as_str(),
            format!(
                "curl -s -o /dev/null -w '%{{http_code}} %header{{www-authenticate}}\\n' {base}/orders"
            ),
        ),
        (
            "200",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: Bearer $READER\" {base}/orders"
            ),
        ),
        (
            "200",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: Bearer $READER\" {base}/me"
            ),
        ),
        (
            "403",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $READER\" {json} -d '{{\"item\":\"book\"}}' {base}/orders"
            ),
        ),
        (
            "201",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $WRITER\" {json} -d '{{\"item\":\"book\"}}' {base}/orders"
            ),
        ),
        (
            "403",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $WRITER\" {base}/orders/1/approve"
            ),
        ),
        (
            "200",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -X POST -H \"Authorization: Bearer $OPERATOR\" {base}/orders/1/approve"
            ),
        ),
        (
            "401",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H 'Authorization: Bearer not.a.token' {base}/orders"
            ),
        ),
        (
            "200",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: DPoP $DPOP_READER\" -H \"DPoP: $DPOP_PROOF\" {base}/orders"
            ),
        ),
        (
            replayed.as_str(),
            format!(
                "curl -s -o /dev/null -w '%{{http_code}} %header{{www-authenticate}}\\n' -H \"Authorization: DPoP $DPOP_READER\" -H \"DPoP: $DPOP_PROOF\" {base}/orders"
            ),
        ),
        (
            "401",
            format!(
                "curl -s -o /dev/null -w '%{{http_code}}\\n' -H \"Authorization: Bearer $DPOP_READER\" {base}/orders"
            ),
        ),
    ];
    out.push_str(&format!(
        "\n# the RFC 9728 metadata document: curl -s {metadata}\n\
         # `curl -i {base}/orders` shows the 401 with every header, the challenge among them\n\
         # try it (expected answer on the right):\n"
    ));
    for (status, command) in commands {
        out.push_str(&format!("{command}   # {status}\n"));
    }
    out
}
