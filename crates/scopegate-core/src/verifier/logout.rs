//! OpenID Connect Back-Channel Logout 1.0: a logout token the identity provider posts when a
//! user logs out, verified and turned into a [`Revocation`] of the session (`sid`) or, without
//! one, of every token of the subject issued until then.
//!
//! Rules (section 2.6): signed by a configured issuer's keys (`typ` `logout+jwt`, or absent
//! or `JWT`), `aud` one of that issuer's audiences, `iat` at most five minutes old and not in
//! the future, `exp` (when present) not passed, `jti` present and never seen before, `events`
//! naming the back-channel-logout event with an object, `sub` or `sid` present, `nonce`
//! absent. Cheap before costly: every claim rule is checked before the signature.
//!
//! ```
//! use serde_json::json;
//! use scopegate_core::Revocation;
//! use scopegate_core::logout::BACKCHANNEL_LOGOUT_EVENT;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), scopegate_core::Error> {
//! # let issuer = scopegate_testkit::TestIssuer::new();
//! # let verifier = issuer.verifier();
//! let logout_token = issuer.token().typ("logout+jwt").without_claim("scope")
//!     .claim("events", json!({ BACKCHANNEL_LOGOUT_EVENT: {} }))
//!     .claim("jti", "bcl-1").claim("sid", "08a5019c").sign();
//! let revoked = verifier.accept_logout_token(&logout_token).await?;
//! assert_eq!(revoked, Revocation::session(issuer.issuer(), "08a5019c"));
//! assert!(verifier.accept_logout_token(&logout_token).await.is_err(), "single use");
//! # Ok(())
//! # }
//! ```

use serde_json::{Map, Value};

use super::Verifier;
use super::revocation::{MAX_REVOCATION_VALUE_BYTES, Revocation};
use super::signed_event::EventRules;
use crate::claims::NumericDate;
use crate::error::Error;
use crate::jose::TypeRule;

/// The event a logout token carries (section 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The oldest a logout token may be (`iat`), before the leeway.
pub const MAX_LOGOUT_TOKEN_AGE: u64 = 300;

const RULES: EventRules = EventRules {
    type_rule: TypeRule::LogoutToken,
    max_age: MAX_LOGOUT_TOKEN_AGE,
    what: "logout token",
};

impl Verifier {
    /// Verifies a back-channel logout token (the `logout_token` an identity provider posts)
    /// and revokes what it names: the session `sid` (and, with `sub` too, that subject's
    /// tokens that name no session, issued until the logout), or every token of `sub` issued
    /// until the logout. Returns the main revocation applied. See the
    /// [module docs](crate::logout).
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the rule the token broke (answer `400` with `invalid_request`,
    /// section 2.8), or [`ErrorKind::KeySourceUnavailable`](crate::ErrorKind::KeySourceUnavailable)
    /// when the issuer's keys cannot be had (`503`).
    pub async fn accept_logout_token(&self, logout_token: &str) -> Result<Revocation, Error> {
        let (event, ()) = self.read_signed_event(logout_token, &RULES, check_logout).await?;
        let text = |name: &str| event.claims.get(name).and_then(Value::as_str);
        // Tokens issued until the logout by the provider's clock, which also wrote their `iat`:
        // the same logout token posted again (to another replica, say) names the same tokens.
        let logout = NumericDate::from_secs(event.issued_at);
        let issuer = &event.issuer;
        let revocation = match (text("sid"), text("sub")) {
            (Some(sid), sub) => {
                if let Some(sub) = sub {
                    let sessionless = Revocation::sessionless_subject(issuer, sub);
                    self.revoke_taken_at(sessionless.issued_until(logout), event.issued_at);
                }
                Revocation::session(issuer, sid)
            }
            (None, Some(sub)) => Revocation::subject(issuer, sub).issued_until(logout),
            // `check_logout` made sure one is there.
            (None, None) => return Err(Error::missing_claim("sub")),
        };
        self.revoke_taken_at(revocation.clone(), event.issued_at);
        self.first_time_everywhere(&event).await?;
        Ok(revocation)
    }
}

/// The logout token's own rules: the event, `sub` or `sid`, no `nonce`.
fn check_logout(claims: &Map<String, Value>) -> Result<(), Error> {
    let events = claims.get("events").and_then(Value::as_object);
    if !matches!(
        events.and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT)),
        Some(Value::Object(_))
    ) {
        return Err(Error::invalid_claim(
            "events",
            "an object naming the back-channel logout event",
        ));
    }
    if claims.contains_key("nonce") {
        return Err(Error::invalid_claim("nonce", "absent from a logout token"));
    }
    let present = |name: &str| match claims.get(name) {
        None => Ok(false),
        Some(Value::String(value)) if value.len() > MAX_REVOCATION_VALUE_BYTES => {
            Err(Error::invalid_claim(name, "a string of at most 1024 bytes"))
        }
        Some(Value::String(value)) if !value.is_empty() => Ok(true),
        Some(_) => Err(Error::invalid_claim(name, "a string")),
    };
    if !present("sub")? && !present("sid")? {
        return Err(Error::missing_claim("sub"));
    }
    Ok(())
}
