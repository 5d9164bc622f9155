//! Tasks belong to whoever created them. A server answers a task-augmented `tools/call` with
//! a task handle instead of the tool's result (`resultType: "task"` and `taskId` in the tasks
//! extension; `task.taskId` in MCP 2025-11-25), and the client reaches the result later with
//! `tasks/get`, `tasks/result`, `tasks/update` or `tasks/cancel` naming that id. The layer
//! watches each `tools/call` answer as it passes (JSON, or an event stream) and remembers
//! which caller each handed-out task id belongs to, before the client can read it; a request
//! naming a task gets through only for that caller, whose token must still pass the tool's
//! rule. Any other id gets MCP's answer for an unknown task, the same whether the task exists.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use http::header::{CONTENT_ENCODING, CONTENT_TYPE};
use http_body::{Body, Frame, SizeHint};
use http_body_util::Either;
use scopegate_tower::verified_claims;
use serde_json::Value;

use crate::call::{MAX_BODY_DEPTH, McpCall, Target};
use crate::events::{EventSplitter, event_data};
use crate::layer::{Config, Rule};
use crate::listing::canonical_id;
use crate::owned::{OwnedIds, Owner};
use crate::service::McpResponseBody;

/// How many tasks are remembered, and how many per owner; past either, the oldest is
/// forgotten (its owner is then told the task is not found).
pub(crate) const MAX_TASKS: (usize, usize) = (100_000, 1_000);

/// The most of an answer read while looking for a task handle: a handle is small, and an
/// answer larger than this (or an event larger than this) is a tool's result, passed on.
const MAX_WATCHED_BYTES: usize = 64 * 1024;

/// What a message says about the answer to the watched request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Handle {
    /// The answer hands out this task.
    Task(String),
    /// The answer, without a task: nothing more to watch.
    Answered,
    /// Not the answer (another message, or not JSON-RPC).
    Other,
}

/// The task handle, if any, in `message`, the answer to request `id` (canonical).
pub(crate) fn task_handle(message: &[u8], id: &Value) -> Handle {
    let Ok(message) = scopegate_core::json::parse_value(message, MAX_BODY_DEPTH) else {
        return Handle::Other;
    };
    if message.get("id").and_then(canonical_id).as_ref() != Some(id) {
        return Handle::Other;
    }
    let result = message.get("result");
    let handle = result.filter(|result| result.get("resultType") == Some(&Value::from("task")));
    let extension = handle.and_then(|result| result.get("taskId"));
    let core = || result?.get("task")?.get("taskId");
    match extension.or_else(core).and_then(Value::as_str) {
        Some(task) => Handle::Task(task.to_owned()),
        None => Handle::Answered,
    }
}

/// A server's answer on its way to the client. The answer to a `tools/call` is watched for a
/// task handle (JSON held until it ends, at most 64 KiB; event streams passed on event by event
/// as they come); every other answer passes untouched.
pub struct WatchedBody<B> {
    inner: B,
    watch: Option<Watch>,
    /// A frame read while the JSON was held, handed on next.
    queued: Option<Frame<Bytes>>,
    ended: bool,
}

/// Calls its function with each task id the watched answer hands out.
pub(crate) type OnTask = Box<dyn FnOnce(&str) + Send>;

struct Watch {
    id: Value,
    on_task: OnTask,
    form: Form,
}

enum Form {
    Json(Vec<u8>),
    Events(EventSplitter),
}

/// What a task runs: its tool, and the rules the call's arguments called for. A request for
/// the task must pass them all again.
#[derive(Clone)]
pub(crate) struct Created {
    tool: (Target, String),
    argument_rules: Vec<Rule>,
}

impl Created {
    /// The rules a request for the task must pass; none when the tool is refused outright.
    pub(crate) fn rules<'a>(&'a self, config: &'a Config) -> Vec<&'a Rule> {
        let (kind, name) = &self.tool;
        let mut rules = config.object_rules(*kind, name);
        if !rules.is_empty() {
            rules.extend(&self.argument_rules);
        }
        rules
    }
}

/// What the answer to a `tools/call` is watched for: a task handed to this caller, for this
/// call.
pub(crate) struct TaskWatch {
    id: Value,
    owner: Owner,
    created: Created,
    tasks: Arc<OwnedIds<Created>>,
}

impl TaskWatch {
    /// The watch for `call`'s answer, when it is a `tools/call` with an id (a fractional id
    /// is not watched: no task it hands out will be found).
    pub(crate) fn of(
        call: &McpCall,
        extensions: &http::Extensions,
        config: &Config,
    ) -> Option<Self> {
        if call.method.as_deref() != Some("tools/call") {
            return None;
        }
        let id = canonical_id(call.id.as_ref()?)?;
        let owner = Owner::of(verified_claims(extensions).ok()?);
        let tool = call.target.clone()?;
        let argument_rules = config.argument_rules_met(call).into_iter().map(Arc::clone).collect();
        let created = Created { tool, argument_rules };
        Some(Self { id, owner, created, tasks: Arc::clone(&config.tasks) })
    }

    /// `response` on its way, watched when it is an answer that could hold a handle.
    pub(crate) fn answer<B>(self, response: Response<B>) -> Response<McpResponseBody<B>> {
        let headers = response.headers();
        let kind = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok());
        let event_stream =
            kind.is_some_and(|kind| kind.to_ascii_lowercase().starts_with("text/event-stream"));
        let encoded = headers.get(CONTENT_ENCODING).is_some_and(|encoding| encoding != "identity");
        if !response.status().is_success() || encoded {
            return response.map(|body| Either::Left(WatchedBody::plain(body)));
        }
        let Self { id, owner, created, tasks } = self;
        let on_task: OnTask = Box::new(move |task| tasks.give(task.as_bytes(), owner, created));
        response.map(|body| Either::Left(WatchedBody::watched(body, id, event_stream, on_task)))
    }
}

impl<B> WatchedBody<B> {
    /// `inner`, untouched.
    pub(crate) fn plain(inner: B) -> Self {
        Self { inner, watch: None, queued: None, ended: false }
    }

    /// `inner`, the answer to request `id` (canonical) in an event stream or not, watched:
    /// `on_task` gets the id of a task it hands out.
    pub(crate) fn watched(inner: B, id: Value, event_stream: bool, on_task: OnTask) -> Self {
        let form = if event_stream {
            Form::Events(EventSplitter::default())
        } else {
            Form::Json(Vec::new())
        };
        Self { inner, watch: Some(Watch { id, on_task, form }), queued: None, ended: false }
    }

    /// Judges one message; stops watching once the answer came.
    fn judge(&mut self, message: &[u8]) {
        let Some(watch) = &self.watch else { return };
        match task_handle(message, &watch.id) {
            Handle::Other => {}
            Handle::Answered => self.watch = None,
            Handle::Task(task) => {
                if let Some(watch) = self.watch.take() {
                    (watch.on_task)(&task);
                }
            }
        }
    }

    /// Reads the events complete in `data` (an event stream's bytes, passed on after).
    fn read_events(&mut self, data: &Bytes) {
        let mut complete = Vec::new();
        if let Some(Watch { form: Form::Events(events), .. }) = &mut self.watch {
            events.push(data);
            while let Some((event, end)) = events.next_event() {
                complete.push((event, end));
            }
            if events.pending() > MAX_WATCHED_BYTES {
                self.watch = None;
            }
        }
        for (event, end) in complete {
            let text = String::from_utf8_lossy(event.get(..end).unwrap_or_default());
            self.judge(event_data(&text).0.as_bytes());
        }
    }

    /// The held JSON, judged (the whole answer when `complete`) and handed over.
    fn release(&mut self, complete: bool) -> Bytes {
        let held = match &mut self.watch {
            Some(Watch { form: Form::Json(held), .. }) => std::mem::take(held),
            _ => return Bytes::new(),
        };
        if complete {
            self.judge(&held);
        }
        self.watch = None;
        Bytes::from(held)
    }
}

impl<B> Body for WatchedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = &mut *self;
        if let Some(frame) = this.queued.take() {
            return Poll::Ready(Some(Ok(frame)));
        }
        if this.ended {
            return Poll::Ready(None);
        }
        loop {
            let holding = matches!(this.watch, Some(Watch { form: Form::Json(_), .. }));
            let frame = match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(error)) => {
                    this.watch = None;
                    return Poll::Ready(Some(Err(error)));
                }
                None if holding => {
                    this.ended = true;
                    let held = this.release(true);
                    return Poll::Ready((!held.is_empty()).then(|| Ok(Frame::data(held))));
                }
                None => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
            };
            if !holding {
                if let Some(data) = frame.data_ref().filter(|_| this.watch.is_some()) {
                    let data = data.clone();
                    this.read_events(&data);
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            match frame.into_data() {
                Ok(data) => {
                    if let Some(Watch { form: Form::Json(held), .. }) = &mut this.watch {
                        held.extend_from_slice(&data);
                        if held.len() <= MAX_WATCHED_BYTES {
                            continue;
                        }
                    }
                    return Poll::Ready(Some(Ok(Frame::data(this.release(false)))));
                }
                // Trailers end the data: the answer is complete.
                Err(trailers) => {
                    let held = this.release(true);
                    if held.is_empty() {
                        return Poll::Ready(Some(Ok(trailers)));
                    }
                    this.queued = Some(trailers);
                    return Poll::Ready(Some(Ok(Frame::data(held))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.queued.is_none() && self.watch.is_none() && (self.ended || self.inner.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let inner = self.inner.size_hint();
        let Some(Watch { form: Form::Json(held), .. }) = &self.watch else { return inner };
        // What is held is still to come.
        let held = held.len() as u64;
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower().saturating_add(held));
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper.saturating_add(held));
        }
        hint
    }
}

impl<B> std::fmt::Debug for WatchedBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchedBody")
            .field("watching", &self.watch.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "tasks_tests.rs"]
mod tests;
