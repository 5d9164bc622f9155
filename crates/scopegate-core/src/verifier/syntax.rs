//! The syntax of an access token as it travels in `Authorization` (RFC 6750 section 2.1):
//!
//! ```text
//! b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//! ```
//!
//! A JWT that verifies always has it, so the tower layer checks it only for tokens that fail;
//! a token bound for the network (introspection) is checked before it is hashed or sent.

use crate::error::{Error, ErrorKind};

/// `b64token` characters by byte value.
// `byte < 256` indexes a 256-entry table.
#[allow(clippy::indexing_slicing)]
const B64TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        // `byte < 256`: the cast keeps its value.
        #[allow(clippy::cast_possible_truncation)]
        let value = byte as u8;
        table[byte] = value.is_ascii_alphanumeric()
            || matches!(value, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        byte += 1;
    }
    table
};

/// Whether `byte` may appear in a `b64token` before its trailing `=`s.
pub fn is_b64token_char(byte: u8) -> bool {
    // A `u8` always indexes a 256-entry table.
    #[allow(clippy::indexing_slicing)]
    B64TOKEN[usize::from(byte)]
}

/// Checks that `token` is an RFC 6750 `b64token`.
///
/// ```
/// use scopegate_core::verifier::check_token_syntax;
///
/// assert!(check_token_syntax("abc.DEF-_~+/==").is_ok());
/// for bad in ["", "===", "a b", "a,b", "\"abc\"", "ab\u{e9}"] {
///     assert!(check_token_syntax(bad).is_err(), "{bad}");
/// }
/// ```
///
/// # Errors
///
/// [`ErrorKind::InvalidRequest`] (`400`) otherwise.
pub fn check_token_syntax(token: &str) -> Result<(), Error> {
    let body = token.trim_end_matches('=');
    if !body.is_empty() && body.bytes().all(is_b64token_char) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidRequest,
            "the access token has characters RFC 6750 does not allow",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_abnf() {
        for byte in 0..=255u8 {
            let expected = byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte);
            assert_eq!(is_b64token_char(byte), expected, "{byte:#x}");
        }
    }
}
