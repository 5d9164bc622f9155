//! Client ID Metadata Documents (the OAuth draft MCP 2025-11-25 lists beside dynamic
//! registration): a client whose `client_id` is the URL of its metadata document needs no
//! registration; the server fetches the document and holds the client to what it says.
//!
//! The document must be served from an `https` URL with a path (or, for development on this
//! machine, plain `http` on a loopback host), answer `200` within 5 seconds with at most 5 KiB
//! of JSON, name itself as `client_id`, and describe a public client (no secret); its
//! `redirect_uris` are checked as registration checks them.

use std::sync::Arc;
use std::time::Duration;

use http::{StatusCode, Uri};
use scopegate_core::remote::HttpClient;
use serde_json::Value;

use super::clients::Refusal;

/// The most of a document read (the draft suggests 5 KB).
pub(crate) const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// How long a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether `client_id` names a metadata document: an `https` URL with a path beyond `/`, or
/// `http` on a loopback host; no user information, query or fragment.
pub(crate) fn is_document_url(client_id: &str) -> bool {
    let Ok(uri) = client_id.parse::<Uri>() else { return false };
    let Some(authority) = uri.authority() else { return false };
    let path = uri.path();
    let plain_ok = matches!(authority.host(), "127.0.0.1" | "localhost" | "[::1]");
    let scheme_ok = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => plain_ok,
        _ => false,
    };
    scheme_ok
        && !authority.as_str().contains('@')
        && uri.query().is_none()
        && !client_id.contains('#')
        && path.len() > 1
        && !path.split('/').any(|segment| segment == "." || segment == "..")
}

/// The client's metadata, fetched from `client_id` with `client`.
pub(crate) async fn fetch(client: Arc<dyn HttpClient>, client_id: &str) -> Result<Value, Refusal> {
    let unavailable = ("invalid_client", "the client metadata document could not be fetched");
    let Ok(uri) = client_id.parse::<Uri>() else { return Err(unavailable) };
    let answer = tokio::time::timeout(FETCH_TIMEOUT, client.get(&uri, MAX_DOCUMENT_BYTES)).await;
    let Ok(Ok(answer)) = answer else { return Err(unavailable) };
    if answer.status != StatusCode::OK {
        return Err(unavailable);
    }
    let Ok(document) = scopegate_core::json::parse_value(&answer.body, 16) else {
        return Err(("invalid_client", "the client metadata document is not JSON"));
    };
    if document.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(("invalid_client", "the client metadata document names another client_id"));
    }
    if document.get("client_secret").is_some() || document.get("client_secret_expires_at").is_some()
    {
        return Err(("invalid_client", "a client metadata document must not hold a secret"));
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_urls() {
        for url in [
            "https://app.example/client.json",
            "http://127.0.0.1:9/client.json",
            "https://app.example/a/b",
        ] {
            assert!(is_document_url(url), "{url}");
        }
        for url in [
            "https://app.example",
            "https://app.example/",
            "http://app.example/client.json",
            "https://user@app.example/client.json",
            "https://app.example/client.json?x=1",
            "https://app.example/client.json#x",
            "https://app.example/a/../client.json",
            "ftp://app.example/client.json",
            "abc",
        ] {
            assert!(!is_document_url(url), "{url}");
        }
    }
}
