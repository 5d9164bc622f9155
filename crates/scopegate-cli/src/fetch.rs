//! Fetching JSON documents, bounded in size and time. Plain http is fetched too (to show what
//! a misconfigured API serves); the checks say where clients would refuse it.

use std::time::Duration;

use http::{StatusCode, Uri};
use scopegate_core::remote::{HttpClient as _, HttpsClient};
use serde_json::{Map, Value};

/// The largest document read, in bytes.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// How long one fetch may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a document could not be had.
pub(crate) enum Failure {
    /// No answer (or no usable one) from the host: the host may be down.
    Unreachable(String),
    /// An answer that is not the document: a status, or not a JSON object.
    Refused(String),
}

impl Failure {
    pub(crate) fn text(&self) -> &str {
        match self {
            Self::Unreachable(text) | Self::Refused(text) => text,
        }
    }
}

/// The JSON object at `url`.
pub(crate) async fn json_object(
    client: &HttpsClient,
    url: &str,
) -> Result<Map<String, Value>, Failure> {
    let uri: Uri = url.parse().map_err(|_| Failure::Refused(format!("{url} is not a URL")))?;
    let response = match tokio::time::timeout(TIMEOUT, client.get(&uri, MAX_DOCUMENT_BYTES)).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Err(Failure::Unreachable(format!("cannot fetch it: {error}"))),
        Err(_) => {
            return Err(Failure::Unreachable(format!("no answer within {}s", TIMEOUT.as_secs())));
        }
    };
    if response.status != StatusCode::OK {
        return Err(Failure::Refused(format!("answered {}", response.status)));
    }
    match serde_json::from_slice(&response.body) {
        Ok(Value::Object(members)) => Ok(members),
        _ => Err(Failure::Refused("the answer is not a JSON object".to_owned())),
    }
}

/// The headers of the answer to a `GET` of `uri` (without any token), if it answers in time.
pub(crate) async fn headers_of(client: &HttpsClient, uri: &Uri) -> Option<http::HeaderMap> {
    match tokio::time::timeout(TIMEOUT, client.get(uri, MAX_DOCUMENT_BYTES)).await {
        Ok(Ok(response)) => Some(response.headers),
        _ => None,
    }
}

/// Whether `url` is plain http to a host other than loopback (which MCP clients refuse).
pub(crate) fn insecure(url: &str) -> bool {
    let Ok(uri) = url.parse::<Uri>() else { return false };
    let host = uri.host().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let loopback =
        host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    uri.scheme_str() == Some("http") && !loopback
}
