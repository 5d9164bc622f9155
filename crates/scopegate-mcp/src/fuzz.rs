//! The entry point of the `mcp_call` fuzz target, compiled only for it (`cfg(fuzzing)`) and
//! for this crate's tests. Not public API.

use http::{HeaderMap, HeaderValue};

use crate::call::{MCP_METHOD, MCP_NAME, McpCall, PROTOCOL_VERSION, Target};
use crate::resource::normalize_resource_uri;

/// The first three lines are `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` (empty: no
/// header), the rest the body. Never panics; whatever is accepted agrees with its headers.
#[allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "an oracle: a broken invariant must panic (and JSON indexing yields null, never panics)"
)]
pub fn call(data: &[u8]) {
    let mut lines = data.splitn(4, |&byte| byte == b'\n');
    let mut headers = HeaderMap::new();
    for name in [PROTOCOL_VERSION, MCP_METHOD, MCP_NAME] {
        let line = lines.next().unwrap_or_default();
        if let Ok(value) = HeaderValue::from_bytes(line)
            && !line.is_empty()
        {
            headers.insert(name, value);
        }
    }
    let body = lines.next().unwrap_or_default();
    let Ok(call) = McpCall::read(&headers, body) else { return };
    if let Some(method) = headers.get(MCP_METHOD).and_then(|value| value.to_str().ok()) {
        assert_eq!(call.method.as_deref(), Some(method));
    }
    if let Some(header) = headers.get(MCP_NAME).and_then(|value| value.to_str().ok()) {
        // An independent reading of the name the body spells: the header must say the same.
        let message: serde_json::Value = serde_json::from_slice(body).expect("accepted JSON");
        let params = &message["params"];
        let spelled =
            [&params["name"], &params["uri"], &params["ref"]["name"], &params["ref"]["uri"]]
                .into_iter()
                .find_map(serde_json::Value::as_str)
                .expect("an Mcp-Name header was accepted for a call naming nothing");
        let decoded =
            match header.strip_prefix("=?base64?").and_then(|rest| rest.strip_suffix("?=")) {
                Some(encoded) => {
                    use base64::Engine;
                    let bytes =
                        base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64");
                    String::from_utf8(bytes).expect("UTF-8")
                }
                None => header.to_owned(),
            };
        assert_eq!(decoded, spelled, "Mcp-Name accepted although it differs from the body");
    }
    // Resource names are normalised once and for all: normalising again changes nothing.
    let resources = call.target.iter().filter(|(kind, _)| *kind == Target::Resource);
    for uri in resources.map(|(_, uri)| uri).chain(&call.subscriptions) {
        if !uri.contains('{') {
            assert_eq!(normalize_resource_uri(uri).as_deref(), Ok(uri.as_str()), "not idempotent");
        }
    }
}

/// The `resource_uri` fuzz target: never panics, and a normalised URI is its own normal form.
pub fn resource_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(normal) = normalize_resource_uri(text) {
        assert_eq!(normalize_resource_uri(&normal).as_deref(), Ok(normal.as_str()));
        assert!(!normal.split('/').any(|segment| segment == "." || segment == ".."));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn seeds_keep_the_invariants() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/mcp_call");
        let mut count = 0;
        for file in std::fs::read_dir(&dir).unwrap() {
            super::call(&std::fs::read(file.unwrap().path()).unwrap());
            count += 1;
        }
        assert!(count > 0, "no seeds in {}", dir.display());
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/resource_uri");
        for file in std::fs::read_dir(&dir).unwrap() {
            super::resource_uri(&std::fs::read(file.unwrap().path()).unwrap());
        }
    }
}
