//! The entry point of the `mcp_call` fuzz target, compiled only for it (`cfg(fuzzing)`) and
//! for this crate's tests. Not public API.

use http::{HeaderMap, HeaderValue};

use crate::call::{MCP_METHOD, MCP_NAME, McpCall, PROTOCOL_VERSION};

/// The first three lines are `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` (empty: no
/// header), the rest the body. Never panics; whatever is accepted agrees with its headers.
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
    if headers.contains_key(MCP_NAME) {
        assert!(call.target.is_some(), "an Mcp-Name header was accepted for a call naming nothing");
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
    }
}
