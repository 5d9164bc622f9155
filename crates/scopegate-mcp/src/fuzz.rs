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
                .chain([&params["taskId"]].into_iter().filter(|_| {
                    call.target.as_ref().is_some_and(|(kind, _)| *kind == Target::Task)
                }))
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

/// The `mcp_listing` fuzz target: the first line is the list method, the rest the server's
/// answer (JSON, or an event stream when it does not start with `{`). Never panics; whatever
/// is shown after filtering passes the filter, and an answer to another request is untouched.
#[allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "an oracle: a broken invariant must panic"
)]
pub fn listing(data: &[u8]) {
    use crate::listing::{EventStream, Judged, Listing, canonical_id, filter_message};
    let mut parts = data.splitn(2, |&byte| byte == b'\n');
    let method = std::str::from_utf8(parts.next().unwrap_or_default()).unwrap_or_default();
    let answer = parts.next().unwrap_or_default();
    let Some(listing) = Listing::of(method) else { return };
    let keep = |name: &str| name.len().is_multiple_of(2);
    let id = serde_json::json!(1);
    let (list, name) = match method {
        "tools/list" | "prompts/list" => (method.trim_end_matches("/list"), "name"),
        "resources/list" | "resources/directory/read" => ("resources", "uri"),
        "tasks/list" => ("tasks", "taskId"),
        _ => ("resourceTemplates", "uriTemplate"),
    };
    let check = |message: &[u8]| {
        let message: serde_json::Value =
            serde_json::from_slice(message).expect("filtered JSON parses");
        assert_eq!(canonical_id(&message["id"]), Some(id.clone()));
        if message.get("error").is_some() && message.get("result").is_none() {
            return;
        }
        assert_eq!(message["result"]["cacheScope"], "private");
        for entry in message["result"][list].as_array().into_iter().flatten() {
            assert!(entry[name].as_str().is_some_and(keep), "{entry} shown");
        }
    };
    if answer.first() == Some(&b'{') {
        if let Judged::Filtered(filtered) = filter_message(answer, &id, listing, &keep) {
            check(&filtered);
        }
        return;
    }
    let mut events = EventStream::default();
    for chunk in answer.chunks(7) {
        if events.push(chunk, &id, listing, &keep) {
            let out = events.finish();
            let text = String::from_utf8_lossy(&out);
            let last = text.trim_end_matches('\n').rsplit('\n').next().unwrap_or_default();
            // A filtered answer is written as one `data: ` line; an error answer as it came.
            if let Some(data) = last.strip_prefix("data: ") {
                check(data.as_bytes());
            }
            return;
        }
    }
}

/// The `mcp_task_watch` fuzz target: a `tools/call` answer (JSON, or an event stream when it
/// does not start with `{`) watched for a task handle, in chunks of the first byte's size.
/// Never panics, passes every byte on unchanged and in order, and sees only a task the answer
/// to the request hands out.
#[allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "an oracle: a broken invariant must panic"
)]
pub fn task_watch(data: &[u8]) {
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};

    use bytes::Bytes;
    use http_body::{Body, Frame};

    use crate::tasks::WatchedBody;

    let Some((&size, answer)) = data.split_first() else { return };
    let size = usize::from(size.max(1));
    let chunks =
        answer.chunks(size).map(|chunk| Frame::data(Bytes::copy_from_slice(chunk))).collect();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let on_task = Box::new(move |task: &str| {
        record.lock().expect("not poisoned").push(task.to_owned());
    });
    let event_stream = answer.first() != Some(&b'{');
    let mut body =
        WatchedBody::watched(Frames(chunks), serde_json::json!(1), event_stream, on_task);
    let mut context = Context::from_waker(std::task::Waker::noop());
    let mut out = Vec::new();
    while let Poll::Ready(Some(frame)) = Pin::new(&mut body).poll_frame(&mut context) {
        if let Ok(data) = frame.expect("infallible").into_data() {
            out.extend_from_slice(&data);
        }
    }
    assert_eq!(out, answer, "the answer was changed on its way");
    let seen = seen.lock().expect("not poisoned");
    if let (Some(task), false) = (seen.first(), event_stream) {
        // An independent reading of the JSON answer: the handle it holds, if it answers id 1
        // (the tasks extension's `taskId` first, then 2025-11-25's `task.taskId`).
        let message: serde_json::Value = serde_json::from_slice(answer).expect("a task from JSON");
        assert_eq!(message["id"].as_f64(), Some(1.0), "a task from another request's answer");
        let result = &message["result"];
        let named = match result.get("taskId") {
            Some(named) if result["resultType"] == "task" => named,
            _ => &result["task"]["taskId"],
        };
        assert_eq!(named.as_str(), Some(task.as_str()), "a task the answer does not hand out");
    }
}

/// The `resource_uri` fuzz target: never panics, a normalised URI is its own normal form,
/// and its path has no dot segment.
pub fn resource_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(normal) = normalize_resource_uri(text) {
        assert_eq!(normalize_resource_uri(&normal).as_deref(), Ok(normal.as_str()));
        // Dot segments are refused in the path; a query or fragment is never resolved.
        let rest = normal.split_once(':').map(|(_, rest)| rest).unwrap_or_default();
        let rest = match rest.strip_prefix("//") {
            Some(after) => {
                after.find(['/', '?', '#']).and_then(|at| after.get(at..)).unwrap_or_default()
            }
            None => rest,
        };
        let path = rest.split(['?', '#']).next().unwrap_or_default();
        assert!(!path.split('/').any(|segment| segment == "." || segment == ".."));
    }
}

/// A body of the given frames, one per poll, never pending: what a server's answer is made of,
/// for the fuzz targets and the unit tests.
#[derive(Debug)]
pub struct Frames(pub std::collections::VecDeque<http_body::Frame<bytes::Bytes>>);

impl http_body::Body for Frames {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop_front().map(Ok))
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
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds/mcp_listing");
        for file in std::fs::read_dir(&dir).unwrap() {
            super::listing(&std::fs::read(file.unwrap().path()).unwrap());
        }
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds/mcp_task_watch");
        for file in std::fs::read_dir(&dir).unwrap() {
            super::task_watch(&std::fs::read(file.unwrap().path()).unwrap());
        }
    }
}
