//! The authorization code grant with PKCE (S256 only) and refresh tokens (rotated), with the
//! checks a real authorization server makes: single-use codes bound to their client, redirect
//! URI, code challenge and resource (RFC 8707); refresh tokens bound to their client, never
//! widening the scopes first granted.

use std::collections::{HashMap, VecDeque};

use aws_lc_rs::digest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How long a code may wait to be exchanged, in seconds.
pub(crate) const CODE_LIFETIME: u64 = 60;
/// How long a refresh token lives, in seconds.
pub(crate) const REFRESH_LIFETIME: u64 = 24 * 3600;

/// What an authorization (and the tokens it leads to) grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) resource: String,
    /// `offline_access` was asked for: a refresh token comes with each access token.
    pub(crate) offline: bool,
}

/// An authorization code, waiting to be exchanged.
#[derive(Clone, Debug)]
pub(crate) struct Code {
    pub(crate) grant: Grant,
    pub(crate) redirect_uri: String,
    pub(crate) challenge: String,
    pub(crate) expires: u64,
}

/// A refresh token.
#[derive(Clone, Debug)]
pub(crate) struct Refresh {
    pub(crate) grant: Grant,
    pub(crate) expires: u64,
}

/// Values by their (random) key, the oldest forgotten first past the bound.
pub(crate) struct Bounded<T> {
    values: HashMap<String, T>,
    order: VecDeque<String>,
    limit: usize,
}

impl<T> Bounded<T> {
    pub(crate) fn new(limit: usize) -> Self {
        Self { values: HashMap::new(), order: VecDeque::new(), limit }
    }

    pub(crate) fn insert(&mut self, key: String, value: T) {
        self.values.insert(key.clone(), value);
        self.order.push_back(key);
        while self.values.len() > self.limit || self.order.len() > 2 * self.limit {
            let Some(oldest) = self.order.pop_front() else { break };
            self.values.remove(&oldest);
        }
    }

    /// Takes the value out: each is used once.
    pub(crate) fn take(&mut self, key: &str) -> Option<T> {
        self.values.remove(key)
    }
}

/// A refused token request: RFC 6749 section 5.2's error code and a description.
pub(crate) type TokenError = (&'static str, &'static str);

/// Checks `verifier` against the code's S256 `challenge` (RFC 7636 section 4.6).
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
    let computed = URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()));
    well_formed && computed == challenge
}

/// Exchanges `code` (already taken out of the table: a code is used once, even when the
/// exchange fails) for its grant.
pub(crate) fn redeem_code(
    code: Option<Code>,
    form: &HashMap<String, String>,
    now: u64,
) -> Result<Grant, TokenError> {
    let Some(code) = code else { return Err(("invalid_grant", "unknown or used code")) };
    let field = |name: &str| form.get(name).map(String::as_str);
    if code.expires < now {
        return Err(("invalid_grant", "the code expired"));
    }
    if field("client_id") != Some(code.grant.client_id.as_str()) {
        return Err(("invalid_grant", "the code was issued to another client"));
    }
    if field("redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Err(("invalid_grant", "redirect_uri differs from the authorization request"));
    }
    if !field("code_verifier").is_some_and(|verifier| pkce_matches(verifier, &code.challenge)) {
        return Err(("invalid_grant", "code_verifier does not match the code challenge"));
    }
    if field("resource").is_some_and(|resource| resource != code.grant.resource) {
        return Err(("invalid_target", "resource differs from the authorization request"));
    }
    Ok(code.grant)
}

/// Exchanges a refresh token (taken out of the table: rotated) for its grant, narrowed to the
/// scopes asked for.
pub(crate) fn redeem_refresh(
    refresh: Option<Refresh>,
    form: &HashMap<String, String>,
    now: u64,
) -> Result<Grant, TokenError> {
    let Some(refresh) = refresh else {
        return Err(("invalid_grant", "unknown or used refresh token"));
    };
    let field = |name: &str| form.get(name).map(String::as_str);
    if refresh.expires < now {
        return Err(("invalid_grant", "the refresh token expired"));
    }
    if field("client_id") != Some(refresh.grant.client_id.as_str()) {
        return Err(("invalid_grant", "the refresh token was issued to another client"));
    }
    if field("resource").is_some_and(|resource| resource != refresh.grant.resource) {
        return Err(("invalid_target", "resource differs from the one first granted"));
    }
    let mut grant = refresh.grant;
    if let Some(asked) = field("scope") {
        let asked: Vec<String> = asked.split_whitespace().map(str::to_owned).collect();
        if !asked.iter().all(|scope| grant.scopes.contains(scope)) {
            return Err(("invalid_scope", "a refresh cannot widen the scopes granted"));
        }
        grant.scopes = asked;
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(challenge: &str) -> Code {
        let grant = Grant {
            client_id: "c1".into(),
            scopes: vec!["a".into()],
            resource: "https://r.example".into(),
            offline: false,
        };
        Code {
            grant,
            redirect_uri: "http://127.0.0.1/cb".into(),
            challenge: challenge.into(),
            expires: 100,
        }
    }

    fn form(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect()
    }

    #[test]
    fn a_code_is_redeemed_only_as_it_was_issued() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let good = [
            ("client_id", "c1"),
            ("redirect_uri", "http://127.0.0.1/cb"),
            ("code_verifier", verifier),
        ];
        assert!(redeem_code(Some(code(challenge)), &form(&good), 50).is_ok());
        type Fields<'a> = &'a [(&'a str, &'a str)];
        let cases: [(Fields<'_>, u64, &str); 6] = [
            (&good, 101, "the code expired"),
            (
                &[
                    ("client_id", "c2"),
                    ("redirect_uri", "http://127.0.0.1/cb"),
                    ("code_verifier", verifier),
                ],
                50,
                "the code was issued to another client",
            ),
            (
                &[
                    ("client_id", "c1"),
                    ("redirect_uri", "http://127.0.0.1/other"),
                    ("code_verifier", verifier),
                ],
                50,
                "redirect_uri differs from the authorization request",
            ),
            (
                &[
                    ("client_id", "c1"),
                    ("redirect_uri", "http://127.0.0.1/cb"),
                    ("code_verifier", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"),
                ],
                50,
                "code_verifier does not match the code challenge",
            ),
            (
                &[("client_id", "c1"), ("redirect_uri", "http://127.0.0.1/cb")],
                50,
                "code_verifier does not match the code challenge",
            ),
            (
                &[
                    ("client_id", "c1"),
                    ("redirect_uri", "http://127.0.0.1/cb"),
                    ("code_verifier", verifier),
                    ("resource", "https://other.example"),
                ],
                50,
                "resource differs from the authorization request",
            ),
        ];
        for (fields, now, reason) in cases {
            assert_eq!(
                redeem_code(Some(code(challenge)), &form(fields), now).unwrap_err().1,
                reason
            );
        }
        assert_eq!(
            redeem_code(None, &form(&good), 50).unwrap_err(),
            ("invalid_grant", "unknown or used code")
        );
    }

    #[test]
    fn a_refresh_narrows_but_never_widens() {
        let grant = Grant {
            client_id: "c1".into(),
            scopes: vec!["a".into(), "b".into()],
            resource: "r".into(),
            offline: true,
        };
        let refresh = || Some(Refresh { grant: grant.clone(), expires: 100 });
        let narrowed =
            redeem_refresh(refresh(), &form(&[("client_id", "c1"), ("scope", "a")]), 50).unwrap();
        assert_eq!(narrowed.scopes, ["a"]);
        let wider = redeem_refresh(refresh(), &form(&[("client_id", "c1"), ("scope", "a c")]), 50);
        assert_eq!(wider.unwrap_err().0, "invalid_scope");
        assert_eq!(
            redeem_refresh(refresh(), &form(&[("client_id", "c2")]), 50).unwrap_err().0,
            "invalid_grant"
        );
        assert_eq!(
            redeem_refresh(refresh(), &form(&[("client_id", "c1")]), 101).unwrap_err().0,
            "invalid_grant"
        );
    }
}
