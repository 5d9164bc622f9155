//! Reading string literals without syn, and packing them into `u128` chunks.

use proc_macro2::{Literal, Span, TokenStream};
use quote::quote_spanned;

/// A compile error at a span.
pub(crate) struct Error {
    span: Span,
    message: String,
}

impl Error {
    pub(crate) fn new(span: Span, message: impl Into<String>) -> Self {
        Self { span, message: message.into() }
    }

    pub(crate) fn to_compile_error(&self) -> TokenStream {
        let message = &self.message;
        quote_spanned!(self.span=> ::core::compile_error!(#message))
    }
}

/// The value of a plain (`"..."`) or raw (`r#"..."#`) string literal without escapes.
pub(crate) fn string_value(literal: &Literal) -> Result<String, Error> {
    let source = literal.to_string();
    let not_a_string =
        || Error::new(literal.span(), "expected a string literal, such as \"orders.read\"");
    if let Some(rest) = source.strip_prefix('r') {
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        let fence = "#".repeat(hashes);
        let inner = rest
            .get(hashes..)
            .and_then(|r| r.strip_prefix('"'))
            .and_then(|r| r.strip_suffix(&fence))
            .and_then(|r| r.strip_suffix('"'))
            .ok_or_else(not_a_string)?;
        return Ok(inner.to_owned());
    }
    let inner =
        source.strip_prefix('"').and_then(|s| s.strip_suffix('"')).ok_or_else(not_a_string)?;
    if inner.contains('\\') {
        return Err(Error::new(
            literal.span(),
            "escape sequences are not allowed here; write the characters themselves",
        ));
    }
    Ok(inner.to_owned())
}

/// The longest string the type encoding carries, in bytes.
pub(crate) const MAX_BYTES: usize = 128;

/// Packs `bytes` big-endian into 16-byte chunks.
pub(crate) fn chunks(bytes: &[u8]) -> Vec<u128> {
    bytes
        .chunks(16)
        .map(|chunk| {
            chunk.iter().enumerate().fold(0u128, |packed, (index, &byte)| {
                packed | (u128::from(byte) << (120 - 8 * index))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_raw_strings() {
        assert_eq!(
            string_value(&Literal::string("orders.read")).ok(),
            Some("orders.read".to_owned())
        );
        let raw: Literal = "r#\"a\"b\"#".parse().unwrap();
        assert_eq!(string_value(&raw).ok(), Some("a\"b".to_owned()));
        let escaped = Literal::string("a\nb");
        assert!(string_value(&escaped).is_err());
        assert!(string_value(&Literal::u8_suffixed(1)).is_err());
        let bytes: Literal = "b\"x\"".parse().unwrap();
        assert!(string_value(&bytes).is_err());
    }

    #[test]
    fn packs_big_endian() {
        assert_eq!(chunks(b"ab"), [0x6162 << 112]);
        assert_eq!(chunks(&[1; 17]).len(), 2);
    }
}
