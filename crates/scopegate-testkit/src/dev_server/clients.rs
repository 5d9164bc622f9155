//! RFC 7591 dynamic client registration, as MCP clients use it: a public client (no secret,
//! `token_endpoint_auth_method: none`) registers its redirect URIs and gets a `client_id`.

use std::collections::{HashMap, VecDeque};

use serde_json::{Value, json};

/// How many redirect URIs one client may register.
const MAX_REDIRECT_URIS: usize = 16;
/// The longest redirect URI.
const MAX_URI_BYTES: usize = 2048;

/// A registered client.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub(crate) redirect_uris: Vec<String>,
}

/// The registered clients, oldest forgotten first past the bound.
#[derive(Default)]
pub(crate) struct Clients {
    clients: HashMap<String, Client>,
    order: VecDeque<String>,
}

/// Why a registration is refused: RFC 7591's error code and a description.
pub(crate) type Refusal = (&'static str, &'static str);

impl Clients {
    pub(crate) fn get(&self, client_id: &str) -> Option<&Client> {
        self.clients.get(client_id)
    }

    /// Registers the client described by `metadata`: its `client_id`, and the answer (RFC
    /// 7591 section 3.2.1).
    pub(crate) fn register(
        &mut self,
        metadata: &Value,
        client_id: String,
        now: u64,
        limit: usize,
    ) -> Result<Value, Refusal> {
        let invalid_uri = (
            "invalid_redirect_uri",
            "redirect_uris must be https, loopback http, or a private-use scheme",
        );
        let Some(Value::Array(uris)) = metadata.get("redirect_uris") else {
            return Err(("invalid_redirect_uri", "redirect_uris is required"));
        };
        if uris.is_empty() || uris.len() > MAX_REDIRECT_URIS {
            return Err(("invalid_redirect_uri", "between 1 and 16 redirect_uris"));
        }
        let mut redirect_uris = Vec::with_capacity(uris.len());
        for uri in uris {
            let Some(uri) = uri.as_str().filter(|uri| acceptable_redirect(uri)) else {
                return Err(invalid_uri);
            };
            redirect_uris.push(uri.to_owned());
        }
        let method = metadata.get("token_endpoint_auth_method").and_then(Value::as_str);
        if method.is_some_and(|method| method != "none") {
            return Err((
                "invalid_client_metadata",
                "only public clients (token_endpoint_auth_method none)",
            ));
        }
        let grants = metadata.get("grant_types").and_then(Value::as_array);
        let known =
            |grant: &Value| matches!(grant.as_str(), Some("authorization_code" | "refresh_token"));
        if grants.is_some_and(|grants| !grants.iter().all(known)) {
            return Err((
                "invalid_client_metadata",
                "grant_types: authorization_code and refresh_token only",
            ));
        }
        let mut answer = json!({
            "client_id": client_id,
            "client_id_issued_at": now,
            "redirect_uris": redirect_uris,
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        });
        if let Some(name) = metadata.get("client_name").and_then(Value::as_str) {
            let name = Value::from(name.chars().take(200).collect::<String>());
            answer.as_object_mut().map(|answer| answer.insert("client_name".to_owned(), name));
        }
        // A client known by its metadata document is described again at each authorization.
        if self.clients.insert(client_id.clone(), Client { redirect_uris }).is_none() {
            self.order.push_back(client_id);
        }
        while self.clients.len() > limit {
            let Some(oldest) = self.order.pop_front() else { break };
            self.clients.remove(&oldest);
        }
        Ok(answer)
    }
}

/// https; http on a loopback host (RFC 8252 section 7.3); or a private-use scheme with a dot
/// (RFC 8252 section 7.1, `com.example.app:/callback`). Never a fragment.
fn acceptable_redirect(uri: &str) -> bool {
    if uri.len() > MAX_URI_BYTES || uri.contains('#') || uri.contains(char::is_whitespace) {
        return false;
    }
    let Some((scheme, rest)) = uri.split_once(':') else { return false };
    match scheme {
        "https" => rest.starts_with("//") && rest.len() > 2,
        "http" => {
            let authority = rest.strip_prefix("//").unwrap_or_default();
            is_loopback_authority(authority.split(['/', '?']).next().unwrap_or_default())
        }
        _ => {
            scheme.contains('.')
                && scheme.bytes().all(|byte| {
                    byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"+.-".contains(&byte)
                })
        }
    }
}

/// `localhost`, `127.0.0.1` or `[::1]`, with or without a port.
fn is_loopback_authority(authority: &str) -> bool {
    let (host, port) = match authority.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((inside, "")) => (format!("[{inside}]"), None),
            Some((inside, after)) => match after.strip_prefix(':') {
                Some(port) => (format!("[{inside}]"), Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match authority.split_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        },
    };
    let port_ok = port.is_none_or(|port| {
        (1..=5).contains(&port.len()) && port.bytes().all(|byte| byte.is_ascii_digit())
    });
    port_ok && matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

/// A browser `Origin` on this machine (`http://localhost:6274`): the only pages that may call
/// the development server.
pub(crate) fn is_loopback_origin(origin: &str) -> bool {
    origin.strip_prefix("http://").is_some_and(is_loopback_authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_a_public_client_may_register() {
        for good in [
            "https://app.example/cb",
            "http://127.0.0.1:33418/callback",
            "http://localhost/cb",
            "com.example.app:/oauth",
        ] {
            assert!(acceptable_redirect(good), "{good}");
        }
        for bad in [
            "http://evil.example/cb",
            "http://localhost.evil.example/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            "https://app.example/cb#frag",
            "https:",
            "file:///etc/passwd",
            "http://localhost:/cb",
            "http://[::1]x/cb",
        ] {
            assert!(!acceptable_redirect(bad), "{bad}");
        }
        assert!(
            is_loopback_origin("http://localhost:6274") && is_loopback_origin("http://[::1]:3000")
        );
        for foreign in
            ["http://evil.example", "https://localhost", "http://localhost.evil.example", "null"]
        {
            assert!(!is_loopback_origin(foreign), "{foreign}");
        }
    }
}
