//! Headers of tokens that verified, remembered per thread by their base64url text.
//!
//! The tokens of one issuer share a header (`alg`, `kid`, `typ`), so most verifications can
//! skip decoding and parsing it: measured at about 1,900 instructions of the 19,000 around
//! the signature. A header's parse depends on its text and the verifier's [`TypeRule`] alone,
//! so what the memo returns is exactly what parsing would. Only the headers of tokens whose
//! signature verified are remembered, so forged tokens cannot churn the memo; each thread keeps
//! at most [`SLOTS`] short headers, so it stays a few hundred bytes. Per thread, it needs no
//! lock: verification never waits while it holds a header.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Header, TypeRule};

/// Headers remembered per thread: issuers times their current keys, for most deployments.
pub(crate) const SLOTS: usize = 4;
/// Longer header texts are not remembered (a common header is under 100 characters).
const MAX_TEXT: usize = 200;

struct Remembered {
    rule: TypeRule,
    text: Box<str>,
    header: Rc<Header>,
}

#[derive(Default)]
struct Memo {
    slots: Vec<Remembered>,
    /// The slot to replace next once all are taken.
    next: usize,
}

impl Memo {
    fn find(&self, text: &str, rule: TypeRule) -> Option<&Remembered> {
        self.slots.iter().find(|slot| slot.rule == rule && *slot.text == *text)
    }
}

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// The parsed header whose base64url text is `text`, if this thread remembers it.
pub(crate) fn recall(text: &str, rule: TypeRule) -> Option<Rc<Header>> {
    MEMO.try_with(|memo| {
        let memo = memo.try_borrow().ok()?;
        memo.find(text, rule).map(|slot| Rc::clone(&slot.header))
    })
    .ok()
    .flatten()
}

/// Remembers `header`, parsed from `text` under `rule`, for a token whose signature verified.
pub(crate) fn remember(text: &str, rule: TypeRule, header: &Rc<Header>) {
    if text.len() > MAX_TEXT {
        return;
    }
    // Fails only while the thread is being torn down or re-entered: then nothing is kept.
    let _ = MEMO.try_with(|memo| {
        let Ok(mut memo) = memo.try_borrow_mut() else { return };
        if memo.find(text, rule).is_some() {
            return;
        }
        let slot = Remembered { rule, text: text.into(), header: Rc::clone(header) };
        if memo.slots.len() < SLOTS {
            memo.slots.push(slot);
        } else {
            let next = memo.next;
            if let Some(old) = memo.slots.get_mut(next) {
                *old = slot;
            }
            memo.next = (next + 1) % SLOTS;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Algorithm;

    fn header(kid: &str) -> Rc<Header> {
        Rc::new(Header { algorithm: Algorithm::RS256, key_id: Some(kid.to_owned()) })
    }

    #[test]
    fn recalls_by_text_and_rule() {
        assert!(recall("eyJhbGciOiJSUzI1NiJ9", TypeRule::Lenient).is_none());
        remember("eyJhbGciOiJSUzI1NiJ9", TypeRule::Lenient, &header("a"));
        let recalled = recall("eyJhbGciOiJSUzI1NiJ9", TypeRule::Lenient).unwrap();
        assert_eq!(recalled.key_id.as_deref(), Some("a"));
        // The same text under another rule may parse differently (or fail): not recalled.
        assert!(recall("eyJhbGciOiJSUzI1NiJ9", TypeRule::Rfc9068).is_none());
        assert!(recall("eyJhbGciOiJSUzI1NiJ8", TypeRule::Lenient).is_none());
    }

    #[test]
    fn keeps_at_most_its_slots_and_no_long_text() {
        for index in 0..10 {
            remember(&format!("text-{index}"), TypeRule::Lenient, &header(&index.to_string()));
        }
        let kept = (0..10)
            .filter(|index| recall(&format!("text-{index}"), TypeRule::Lenient).is_some())
            .count();
        assert_eq!(kept, SLOTS);
        // The newest are kept.
        assert_eq!(recall("text-9", TypeRule::Lenient).unwrap().key_id.as_deref(), Some("9"));
        let long = "a".repeat(MAX_TEXT + 1);
        remember(&long, TypeRule::Lenient, &header("long"));
        assert!(recall(&long, TypeRule::Lenient).is_none());
    }
}
