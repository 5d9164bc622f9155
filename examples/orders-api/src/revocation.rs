//! Revocation in the orders API (`SCOPEGATE_REVOCATION=1`): `POST /backchannel-logout` takes
//! OpenID Connect Back-Channel Logout tokens and `POST /events` takes Security Event Tokens
//! (RFC 8935); what they name is refused from then on, cached or not.

use axum::Router;
use scopegate::{BackChannelLogout, SecurityEventPush, Verifier};
use scopegate_testkit::TestIssuer;
use serde_json::json;

/// The two endpoints, outside the bearer layer (the identity provider posts signed tokens,
/// not access tokens).
pub fn routes(verifier: &Verifier) -> Router {
    Router::new()
        .route_service("/backchannel-logout", BackChannelLogout::new(verifier.clone()))
        .route_service("/events", SecurityEventPush::new(verifier.clone()))
}

/// The banner lines of the development issuer: a session's token and the logout token that
/// ends it, an account's token and the RISC event that disables it, and the curl commands that
/// show each token working before and refused after; `metadata` is the RFC 9728 document's URL,
/// which the challenges name.
pub fn banner(issuer: &TestIssuer, audience: &str, base: &str, metadata: &str) -> String {
    let hours = std::time::Duration::from_secs(8 * 3600);
    let session =
        issuer.token().subject("erin").claim("sid", "erin-laptop").scopes(["orders.read"]);
    let logout = issuer
        .token()
        .typ("logout+jwt")
        .audience(audience)
        .without_claim("scope")
        .claim("events", json!({ scopegate::logout::BACKCHANNEL_LOGOUT_EVENT: {} }))
        .claim("jti", "dev-logout-1")
        .claim("sid", "erin-laptop");
    let account = issuer.token().subject("frank").scopes(["orders.read"]);
    let disable = issuer
        .token()
        .typ("secevent+jwt")
        .audience(audience)
        .without_claim("scope")
        .without_claim("sub")
        .claim("jti", "dev-event-1")
        .claim("sub_id", json!({"format": "iss_sub", "iss": issuer.issuer(), "sub": "frank"}))
        .claim("events", json!({ scopegate::security_event::ACCOUNT_DISABLED: {} }));
    let status = "curl -s -o /dev/null -w '%{http_code}\\n'";
    let challenge = "curl -s -o /dev/null -w '%{http_code} %header{www-authenticate}\\n'";
    let revoked = format!(
        r#"401 Bearer error="invalid_token", error_description="the token was revoked", resource_metadata="{metadata}""#
    );
    let lines = [
        "# revocation: erin's session (sid erin-laptop) and the logout token that ends it"
            .to_owned(),
        format!("export SESSION={}", session.expires_in(hours).sign()),
        format!("export LOGOUT={}", logout.sign()),
        format!("{status} -H \"Authorization: Bearer $SESSION\" {base}/orders   # 200"),
        format!(
            "{status} --data-urlencode \"logout_token=$LOGOUT\" {base}/backchannel-logout   # 200"
        ),
        format!("{challenge} -H \"Authorization: Bearer $SESSION\" {base}/orders   # {revoked}"),
        format!(
            "{status} --data-urlencode \"logout_token=$LOGOUT\" {base}/backchannel-logout   # 400"
        ),
        "# frank's account, and the RISC account-disabled event (RFC 8935 push)".to_owned(),
        format!("export ACCOUNT={}", account.expires_in(hours).sign()),
        format!("export EVENT={}", disable.sign()),
        format!("{status} -H \"Authorization: Bearer $ACCOUNT\" {base}/orders   # 200"),
        format!(
            "{status} -H 'Content-Type: application/secevent+jwt' --data \"$EVENT\" {base}/events   # 202"
        ),
        format!("{status} -H \"Authorization: Bearer $ACCOUNT\" {base}/orders   # 401"),
    ];
    lines.join("\n")
}
