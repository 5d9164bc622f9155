//! Lists show only what the caller may use: the answer to `tools/list`, `prompts/list`,
//! `resources/list`, `resources/templates/list` or `tasks/list`, as JSON or as a server-sent event stream,
//! with every entry the caller's token would be refused removed, by the same rules that
//! guard the calls (one place decides both).

use serde_json::Value;

use crate::call::MAX_BODY_DEPTH;
use crate::events::{EventSplitter, event_data};

/// What a list method lists: the member of `result` that holds the entries, and the member
/// of each entry that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Listing {
    Tools,
    Prompts,
    Resources,
    Templates,
    Tasks,
}

impl Listing {
    pub(crate) fn of(method: &str) -> Option<Self> {
        match method {
            "tools/list" => Some(Self::Tools),
            "prompts/list" => Some(Self::Prompts),
            // A directory's children are a list of resources too.
            "resources/list" | "resources/directory/read" => Some(Self::Resources),
            "resources/templates/list" => Some(Self::Templates),
            "tasks/list" => Some(Self::Tasks),
            _ => None,
        }
    }

    fn members(self) -> (&'static str, &'static str) {
        match self {
            Self::Tools => ("tools", "name"),
            Self::Prompts => ("prompts", "name"),
            Self::Resources => ("resources", "uri"),
            Self::Templates => ("resourceTemplates", "uriTemplate"),
            Self::Tasks => ("tasks", "taskId"),
        }
    }
}

/// What became of a message read from a list's answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Judged {
    /// The answer to the request, filtered.
    Filtered(Vec<u8>),
    /// The answer to the request, an error: nothing to show, passed on.
    Error,
    /// Not the answer (another message, or not JSON-RPC): the caller decides.
    Other,
}

/// A JSON-RPC id in one spelling: servers answer `1.0` or `1e0` as `1` (rmcp does), so the
/// answer to a request is found whichever way the client wrote its id. `None` for what is
/// not an id (fractions, other types, integers beyond 2^53 written as floats).
pub(crate) fn canonical_id(id: &Value) -> Option<Value> {
    match id {
        Value::String(_) => Some(id.clone()),
        Value::Number(number) => {
            if let Some(integer) = number.as_i64() {
                return Some(Value::from(integer));
            }
            if let Some(integer) = number.as_u64() {
                return Some(Value::from(integer));
            }
            let float = number.as_f64()?;
            let exact = float.fract() == 0.0 && float.abs() < 9.0e15;
            // Integral and below 2^53: the conversion is exact.
            #[allow(clippy::cast_possible_truncation)]
            exact.then(|| Value::from(float as i64))
        }
        _ => None,
    }
}

/// The JSON-RPC response to request `id` (canonical, [`canonical_id`]) in `message`, with the
/// entries `keep` refuses removed (and entries without a name: what cannot be judged is not
/// shown), marked private to the caller (`cacheScope`, MCP 2026-07-28).
pub(crate) fn filter_message(
    message: &[u8],
    id: &Value,
    listing: Listing,
    keep: &dyn Fn(&str) -> bool,
) -> Judged {
    let Ok(mut message) = scopegate_core::json::parse_value(message, MAX_BODY_DEPTH) else {
        return Judged::Other;
    };
    if message.get("id").and_then(canonical_id).as_ref() != Some(id) {
        return Judged::Other;
    }
    if message.get("error").is_some() && message.get("result").is_none() {
        return Judged::Error;
    }
    let (list, name) = listing.members();
    let Some(result) = message.get_mut("result").and_then(Value::as_object_mut) else {
        return Judged::Other;
    };
    if let Some(Value::Array(entries)) = result.get_mut(list) {
        entries.retain(|entry| entry.get(name).and_then(Value::as_str).is_some_and(keep));
    }
    result.insert("cacheScope".to_owned(), Value::String("private".to_owned()));
    serde_json::to_vec(&message).map_or(Judged::Other, Judged::Filtered)
}

/// What is read of a server-sent event stream so far: complete events are judged as they
/// arrive, so that a stream the server keeps open ends at the list's answer.
#[derive(Default)]
pub(crate) struct EventStream {
    events: EventSplitter,
    out: Vec<u8>,
    answered: bool,
}

impl EventStream {
    /// Adds `bytes`; `true` once the answer to `id` has been judged (read no further).
    pub(crate) fn push(
        &mut self,
        bytes: &[u8],
        id: &Value,
        listing: Listing,
        keep: &dyn Fn(&str) -> bool,
    ) -> bool {
        self.events.push(bytes);
        while let Some((event, end)) = self.events.next_event() {
            let body = event.get(..end).unwrap_or_default();
            match filter_event(body, id, listing, keep) {
                Some(Some(rewritten)) => {
                    self.out.extend_from_slice(&rewritten);
                    self.out.extend_from_slice(b"\n\n");
                }
                Some(None) => self.out.extend_from_slice(&event),
                None => {
                    self.out.extend_from_slice(&event);
                    continue;
                }
            }
            // The stream ends at the answer: what came after it is not passed on.
            self.events.take_pending();
            self.answered = true;
            return true;
        }
        false
    }

    /// Whether the answer to the request was found (filtered, or an error).
    pub(crate) fn answered(&self) -> bool {
        self.answered
    }

    /// Everything read up to and with the filtered answer; without an answer, everything as
    /// it came (an unfinished event at the end included).
    pub(crate) fn finish(mut self) -> Vec<u8> {
        self.out.append(&mut self.events.take_pending());
        self.out
    }
}

/// The event with its `data` filtered when its data is the answer to `id` (`Some(None)`: the
/// answer is an error, passed on as it is); `None` for any other event.
fn filter_event(
    event: &[u8],
    id: &Value,
    listing: Listing,
    keep: &dyn Fn(&str) -> bool,
) -> Option<Option<Vec<u8>>> {
    let text = std::str::from_utf8(event).ok()?;
    let (data, others) = event_data(text);
    let filtered = match filter_message(data.as_bytes(), id, listing, keep) {
        Judged::Filtered(filtered) => filtered,
        Judged::Error => return Some(None),
        Judged::Other => return None,
    };
    let mut out = Vec::with_capacity(event.len());
    for line in others {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(&filtered);
    Some(Some(out))
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
