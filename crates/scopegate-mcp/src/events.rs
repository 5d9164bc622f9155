//! Server-sent events as the layer reads them (the MCP streamable HTTP transport answers a
//! `POST` with JSON or with an event stream): split into events as bytes arrive, and the JSON
//! in each event's `data` lines.

/// Events cut from a stream as its bytes arrive.
#[derive(Default)]
pub(crate) struct EventSplitter {
    pending: Vec<u8>,
    /// How much of `pending` was searched for a boundary without finding one.
    scanned: usize,
}

impl EventSplitter {
    /// Adds bytes read from the stream.
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete event: its bytes with the blank line that ends it, and where its body
    /// ends (before the blank line).
    pub(crate) fn next_event(&mut self) -> Option<(Vec<u8>, usize)> {
        // A boundary may straddle the previous read: search again from 3 bytes before.
        match event_end(&self.pending, self.scanned.saturating_sub(3)) {
            Some((end, next)) => {
                self.scanned = 0;
                Some((self.pending.drain(..next).collect(), end))
            }
            None => {
                self.scanned = self.pending.len();
                None
            }
        }
    }

    /// How many bytes of an unfinished event are held.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    /// The unfinished event held, handed over.
    pub(crate) fn take_pending(&mut self) -> Vec<u8> {
        self.scanned = 0;
        std::mem::take(&mut self.pending)
    }
}

/// Where the first complete event of `buffer` (searched from `from`) ends (before its blank
/// line) and where the next begins.
fn event_end(buffer: &[u8], from: usize) -> Option<(usize, usize)> {
    let rest = buffer.get(from..)?;
    let at = |offset: usize, length: usize| (from + offset, from + offset + length);
    let lf = rest.windows(2).position(|pair| pair == b"\n\n").map(|offset| at(offset, 2));
    let crlf = rest.windows(4).position(|quad| quad == b"\r\n\r\n").map(|offset| at(offset, 4));
    match (lf, crlf) {
        (Some(lf), Some(crlf)) => Some(if lf.0 < crlf.0 { lf } else { crlf }),
        (found, None) | (None, found) => found,
    }
}

/// An event's `data` (its `data:` lines joined by `\n`) and its other lines.
pub(crate) fn event_data(event: &str) -> (String, Vec<&str>) {
    let mut data = String::new();
    let mut others = Vec::new();
    for line in event.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line)) {
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
    (data, others)
}
