//! Lists show only what the caller may use: the answer to `tools/list`, `prompts/list`,
//! `resources/list` or `resources/templates/list`, as JSON or as a server-sent event stream,
//! with every entry the caller's token would be refused removed, by the same rules that
//! guard the calls (one place decides both).

use serde_json::Value;

use crate::call::MAX_BODY_DEPTH;

/// What a list method lists: the member of `result` that holds the entries, and the member
/// of each entry that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    Tools,
    Prompts,
    Resources,
    Templates,
}

impl Listing {
    pub(crate) fn of(method: &str) -> Option<Self> {
        match method {
            "tools/list" => Some(Self::Tools),
            "prompts/list" => Some(Self::Prompts),
            "resources/list" => Some(Self::Resources),
            "resources/templates/list" => Some(Self::Templates),
            _ => None,
        }
    }

    fn members(self) -> (&'static str, &'static str) {
        match self {
            Self::Tools => ("tools", "name"),
            Self::Prompts => ("prompts", "name"),
            Self::Resources => ("resources", "uri"),
            Self::Templates => ("resourceTemplates", "uriTemplate"),
        }
    }
}

/// The JSON-RPC response to request `id` in `message`, with the entries `keep` refuses removed
/// (and entries without a name: what cannot be judged is not shown), marked private to the
/// caller (`cacheScope`, MCP 2026-07-28). `None` when `message` is not that response.
pub(crate) fn filter_message(
    message: &[u8],
    id: &Value,
    listing: Listing,
    keep: &dyn Fn(&str) -> bool,
) -> Option<Vec<u8>> {
    let mut message = scopegate_core::json::parse_value(message, MAX_BODY_DEPTH).ok()?;
    if message.get("id") != Some(id) {
        return None;
    }
    let (list, name) = listing.members();
    let result = message.get_mut("result")?.as_object_mut()?;
    if let Some(Value::Array(entries)) = result.get_mut(list) {
        entries.retain(|entry| entry.get(name).and_then(Value::as_str).is_some_and(keep));
    }
    result.insert("cacheScope".to_owned(), Value::String("private".to_owned()));
    serde_json::to_vec(&message).ok()
}

/// What is read of a server-sent event stream so far: complete events are judged as they
/// arrive, so that a stream the server keeps open ends at the list's answer.
#[derive(Default)]
pub(crate) struct EventStream {
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl EventStream {
    /// Adds `bytes`; `true` once the answer to `id` has been filtered (read no further).
    pub(crate) fn push(
        &mut self,
        bytes: &[u8],
        id: &Value,
        listing: Listing,
        keep: &dyn Fn(&str) -> bool,
    ) -> bool {
        self.pending.extend_from_slice(bytes);
        while let Some((end, next)) = event_end(&self.pending) {
            let event: Vec<u8> = self.pending.drain(..next).collect();
            let body = event.get(..end).unwrap_or_default();
            match filter_event(body, id, listing, keep) {
                Some(rewritten) => {
                    self.out.extend_from_slice(&rewritten);
                    self.out.extend_from_slice(b"\n\n");
                    // The stream ends at the answer: what came after it is not passed on.
                    self.pending.clear();
                    return true;
                }
                None => self.out.extend_from_slice(&event),
            }
        }
        false
    }

    /// Everything read up to and with the filtered answer; without an answer, everything as
    /// it came (an unfinished event at the end included).
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.append(&mut self.pending);
        self.out
    }
}

/// Where the first complete event of `buffer` ends (before its blank line) and where the next
/// begins.
fn event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|pair| pair == b"\n\n").map(|at| (at, at + 2));
    let crlf = buffer.windows(4).position(|quad| quad == b"\r\n\r\n").map(|at| (at, at + 4));
    match (lf, crlf) {
        (Some(lf), Some(crlf)) => Some(if lf.0 < crlf.0 { lf } else { crlf }),
        (found, None) | (None, found) => found,
    }
}

/// The event with its `data` filtered, when its data is the answer to `id`.
fn filter_event(
    event: &[u8],
    id: &Value,
    listing: Listing,
    keep: &dyn Fn(&str) -> bool,
) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(event).ok()?;
    let mut data = String::new();
    let mut others = Vec::new();
    for line in text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)) {
        match line.strip_prefix("data:") {
            Some(value) => {
                if !data.is_empty() {
                    data.push('\n');
                }
                data.push_str(value.strip_prefix(' ').unwrap_or(value));
            }
            None => others.push(line),
        }
    }
    let filtered = filter_message(data.as_bytes(), id, listing, keep)?;
    let mut out = Vec::with_capacity(event.len());
    for line in others {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&filtered);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn only_a(name: &str) -> bool {
        name.starts_with('a')
    }

    #[test]
    fn json_answers_keep_what_the_caller_may_use() {
        let answer = json!({"jsonrpc": "2.0", "id": 7, "result": {
            "tools": [{"name": "a1"}, {"name": "b1"}, {"title": "no name"}, {"name": 5}, {"name": "a2"}],
            "nextCursor": "c"
        }})
        .to_string();
        let filtered =
            filter_message(answer.as_bytes(), &json!(7), Listing::Tools, &only_a).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&filtered).unwrap(),
            json!({"jsonrpc": "2.0", "id": 7, "result": {
                "tools": [{"name": "a1"}, {"name": "a2"}], "nextCursor": "c", "cacheScope": "private"
            }})
        );
        // Another request's answer, or not an answer: left alone.
        assert!(filter_message(answer.as_bytes(), &json!(8), Listing::Tools, &only_a).is_none());
        let templates = json!({"jsonrpc": "2.0", "id": "x", "result": {"resourceTemplates": [
            {"uriTemplate": "a://{id}"}, {"uriTemplate": "b://{id}"}
        ]}})
        .to_string();
        let filtered =
            filter_message(templates.as_bytes(), &json!("x"), Listing::Templates, &only_a).unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&filtered).unwrap()["result"]["resourceTemplates"],
            json!([{"uriTemplate": "a://{id}"}])
        );
    }

    #[test]
    fn event_streams_are_filtered_event_by_event_and_end_at_the_answer() {
        let answer = r#"{"jsonrpc":"2.0","id":3,"result":{"prompts":[{"name":"a"},{"name":"b"}]}}"#;
        let progress = r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{}}"#;
        let stream = format!(
            "id: 1\r\ndata: {progress}\r\n\r\nevent: message\ndata: {answer}\n\n: after\n\n"
        );
        let mut events = EventStream::default();
        // Fed a byte at a time: events are judged only once complete.
        // In one piece too: what follows the answer in the same read is dropped.
        let mut whole = EventStream::default();
        assert!(whole.push(stream.as_bytes(), &json!(3), Listing::Prompts, &only_a));
        assert!(!String::from_utf8(whole.finish()).unwrap().contains(": after"));
        let mut done = false;
        for byte in stream.as_bytes() {
            done = events.push(std::slice::from_ref(byte), &json!(3), Listing::Prompts, &only_a);
            if done {
                break;
            }
        }
        assert!(done);
        let out = String::from_utf8(events.finish()).unwrap();
        let (before, last) = out.split_once("event: message\ndata: ").unwrap();
        assert_eq!(before, format!("id: 1\r\ndata: {progress}\r\n\r\n"));
        let data = last.strip_suffix("\n\n").unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(data).unwrap(),
            json!({"jsonrpc": "2.0", "id": 3, "result": {"prompts": [{"name": "a"}], "cacheScope": "private"}})
        );
    }

    #[test]
    fn a_stream_without_the_answer_is_passed_on_as_it_came() {
        let mut events = EventStream::default();
        assert!(!events.push(
            b"data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}\n\ndata: unfinished",
            &json!(3),
            Listing::Tools,
            &only_a
        ));
        assert_eq!(
            events.finish(),
            b"data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}\n\ndata: unfinished"
        );
    }
}
