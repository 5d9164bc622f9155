//! The common payload, read without serde: one flat JSON object whose member names and string
//! values have no escapes and whose other values are non-negative integers, as most access
//! tokens are (`iss`, `sub`, `aud`, `scope`, `client_id`, `jti` as strings; `exp`, `iat`,
//! `nbf` as integers).
//!
//! This path gives up on anything else (an escape, an array, an object, a literal, a
//! negative or fractional number, a repeated member, stray bytes) and the full parser reads
//! the text from the start, so it decides every case this path does not. What this path
//! accepts it reads exactly as the full parser does: property tests and the `claims` fuzz
//! target compare the two. Measured on the benchmarks' payload (eight members): about 2,700
//! instructions, against 4,600 through serde.

use std::borrow::Cow;

use serde_json::Value;

use super::payload::UnverifiedPayload;
use crate::json::Loose;

/// Reads `text` into `payload` (fresh) and its `iss` member into `issuer` if it is one flat
/// object this path reads; `None` hands the text to the full parser, after the caller resets
/// both. Filled in place: the payload is a few hundred bytes, not worth moving.
pub(crate) fn read<'t>(
    text: &'t str,
    payload: &mut UnverifiedPayload<'t>,
    issuer: &mut Option<Loose<'t>>,
) -> Option<()> {
    let mut scan = Scanner { text, at: 0 };
    scan.whitespace();
    scan.expect(b'{')?;
    scan.whitespace();
    if scan.peek()? == b'}' {
        scan.at += 1;
    } else {
        loop {
            let name = scan.string()?;
            scan.whitespace();
            scan.expect(b':')?;
            scan.whitespace();
            let value = scan.value()?;
            if !payload.place(issuer, Cow::Borrowed(name), value) {
                return None;
            }
            scan.whitespace();
            if !scan.list_goes_on()? {
                break;
            }
        }
    }
    scan.whitespace();
    (scan.at == text.len()).then_some(())
}

/// [`read`] into a fresh payload, for the comparisons.
#[cfg(any(test, fuzzing))]
fn read_new(text: &str) -> Option<(UnverifiedPayload<'_>, Option<Loose<'_>>)> {
    let (mut payload, mut issuer) = (UnverifiedPayload::default(), None);
    read(text, &mut payload, &mut issuer)?;
    Some((payload, issuer))
}

/// The length of the string content at the start of `rest`, up to its closing quote; `None`
/// if a backslash or a control character comes first, or no quote. Eight bytes at a time: in
/// each, the lowest byte that is a quote, a backslash or below 0x20 is found exactly by the
/// classic zero-byte tests (bytes above it may be flagged falsely, and are not looked at).
fn string_length(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut chunks = rest.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let word = u64::from_le_bytes(chunk.try_into().ok()?);
        let stops = zero_byte(word ^ (ONES * u64::from(b'"')))
            | zero_byte(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if stops != 0 {
            let at = offset + (stops.trailing_zeros() / 8) as usize;
            return (rest.get(at) == Some(&b'"')).then_some(at);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    let at = tail.iter().position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
    (tail.get(at) == Some(&b'"')).then_some(offset + at)
}

/// Whether the full parser reads `text` exactly as this path does, when this path reads it:
/// what the tests and the `claims` fuzz target check.
#[cfg(any(test, fuzzing))]
pub(crate) fn agrees_with_full_parser(text: &str) -> bool {
    match read_new(text) {
        None => true,
        Some(flat) => {
            let (mut payload, mut issuer) = (UnverifiedPayload::default(), None);
            let full = UnverifiedPayload::read_full(text, &mut payload, &mut issuer);
            full.is_ok() && as_map((payload, issuer)) == as_map(flat)
        }
    }
}

/// A reading as one map of every member, `iss` included, to compare readings by.
#[cfg(any(test, fuzzing))]
fn as_map(read: (UnverifiedPayload<'_>, Option<Loose<'_>>)) -> String {
    let (payload, issuer) = read;
    let confirmation = payload.confirmation;
    let mut map = payload.custom;
    let registered = [
        ("iss", issuer),
        ("aud", payload.audience),
        ("exp", payload.expires_at),
        ("nbf", payload.not_before),
        ("iat", payload.issued_at),
        ("sub", payload.subject),
        ("jti", payload.jwt_id),
        ("client_id", payload.client_id),
        ("azp", payload.authorized_party),
        ("scope", payload.scope),
    ];
    for (name, value) in registered {
        if let Some(value) = value {
            map.insert(name.to_owned(), value.into_value());
        }
    }
    format!("{map:?}, cnf seen: {confirmation}")
}

/// A position in the text. Every method returns `None` to give up.
struct Scanner<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Scanner<'t> {
    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// After a member: `true` on `,` (another follows), `false` on `}`.
    fn list_goes_on(&mut self) -> Option<bool> {
        let byte = self.peek()?;
        self.at += 1;
        match byte {
            b',' => {
                self.whitespace();
                Some(true)
            }
            b'}' => Some(false),
            _ => None,
        }
    }

    /// A string without escapes or control characters, borrowed from the text.
    fn string(&mut self) -> Option<&'t str> {
        self.expect(b'"')?;
        let start = self.at;
        let rest = self.bytes().get(start..)?;
        let length = string_length(rest)?;
        self.at = start + length + 1;
        // Both ends are ASCII quotes in valid UTF-8: the slice falls on character boundaries.
        self.text.get(start..start + length)
    }

    /// A string, or a non-negative integer of at most 19 digits, which fits a `u64` (written
    /// without leading zeros, fraction or exponent, as JSON requires of an integer).
    fn value(&mut self) -> Option<Loose<'t>> {
        match self.peek()? {
            b'"' => Some(Loose::Str(Cow::Borrowed(self.string()?))),
            b'0'..=b'9' => {
                let start = self.at;
                let mut number: u64 = 0;
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    // A 20th digit could overflow: the full parser takes such numbers.
                    if self.at - start == 19 {
                        return None;
                    }
                    number = number * 10 + u64::from(digit - b'0');
                    self.at += 1;
                }
                let leading_zero = self.at - start > 1 && self.bytes().get(start) == Some(&b'0');
                let fraction_or_exponent = matches!(self.peek(), Some(b'.' | b'e' | b'E'));
                if leading_zero || fraction_or_exponent {
                    return None;
                }
                Some(Loose::Value(Value::from(number)))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn reads_a_typical_payload() {
        let text = r#"{"iss":"https://id.example.com","aud":"orders","sub":"42","scope":"a b","exp":1700000300,"iat":1700000000,"tenant":"t"}"#;
        let (payload, issuer) = read_new(text).unwrap();
        assert!(matches!(issuer, Some(Loose::Str(Cow::Borrowed("https://id.example.com")))));
        assert_eq!(payload.expires_at.unwrap().into_value(), Value::from(1_700_000_300u64));
        assert_eq!(payload.custom.get("tenant"), Some(&Value::from("t")));
        assert!(agrees_with_full_parser(text));
        assert!(read_new(" { } ").is_some());
    }

    #[test]
    fn finds_the_end_of_a_string_in_any_position() {
        for length in 0..40 {
            let ascii: String = "ab~\u{7f} ".chars().cycle().take(length).collect();
            let accented = "\u{e9}".repeat(length);
            for prefix in [ascii, accented] {
                for stop in ["\"", "\\", "\n", "\u{1f}"] {
                    let text = format!("{prefix}{stop}x\"");
                    let expected = (stop == "\"").then_some(prefix.len());
                    assert_eq!(string_length(text.as_bytes()), expected, "{text:?}");
                }
            }
        }
        assert_eq!(string_length(b"abc"), None);
    }

    #[test]
    fn gives_up_on_what_it_does_not_read() {
        for text in [
            r#"{"aud":["a","b"]}"#,
            r#"{"cnf":{"jkt":"x"}}"#,
            r#"{"sub":"a\"b"}"#,
            r#"{"sub":"a\u0062"}"#,
            "{\"sub\":\"a\tb\"}",
            r#"{"exp":-1}"#,
            r#"{"exp":1.5}"#,
            r#"{"exp":1e3}"#,
            r#"{"exp":01}"#,
            r#"{"exp":18446744073709551616}"#,
            r#"{"exp":10000000000000000000}"#,
            r#"{"ok":true}"#,
            r#"{"ok":null}"#,
            r#"{"iss":"a","iss":"b"}"#,
            r#"{"t":1,"t":2}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"{"a":1"#,
            r#"["a"]"#,
            "",
        ] {
            assert!(read_new(text).is_none(), "{text}");
        }
    }

    fn member() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            Just("iss"),
            Just("aud"),
            Just("exp"),
            Just("nbf"),
            Just("iat"),
            Just("sub"),
            Just("jti"),
            Just("client_id"),
            Just("azp"),
            Just("scope"),
            Just("cnf"),
            Just("tenant"),
            Just("x"),
        ];
        let value = prop_oneof![
            "\"[ -~]{0,12}\"",
            "\"[a\u{7f}\u{e9}\u{1f}\t\u{2603}]{0,12}\"",
            "[0-9]{1,21}",
            "-?[0-9]{1,3}(\\.[0-9])?(e[0-9])?",
            Just("true".to_owned()),
            Just("[\"a\"]".to_owned()),
            Just("{\"jkt\":\"k\"}".to_owned()),
            Just("\"abc\"".to_owned()),
        ];
        (name, "[ \t\n\r]{0,2}", value)
            .prop_map(|(name, space, value)| format!("\"{name}\":{space}{value}"))
    }

    proptest! {
        /// Whatever this path reads, the full parser reads alike, and each member lands under
        /// the name it came with (read independently, with `serde_json`).
        #[test]
        fn agrees_with_the_full_parser(members in proptest::collection::vec(member(), 0..8), space in "[ \n]{0,2}") {
            let text = format!("{space}{{{}}}{space}", members.join(","));
            prop_assert!(agrees_with_full_parser(&text), "{}", text);
            crate::fuzz::claims_land_where_they_came_from(text.as_bytes());
        }
    }
}
