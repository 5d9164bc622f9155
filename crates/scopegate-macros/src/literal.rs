//! Reading string literals (with `litrs`, not syn) and packing them into `u128` chunks.

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

/// The value of a string literal, plain or raw, with escapes resolved exactly as Rust does
/// (`litrs`): `"orders\x2eread"` is `orders.read`.
pub(crate) fn string_value(literal: &Literal) -> Result<String, Error> {
    match litrs::StringLit::try_from(literal) {
        Ok(string) => Ok(string.value().to_owned()),
        Err(_) => {
            Err(Error::new(literal.span(), "expected a string literal, such as \"orders.read\""))
        }
    }
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
        let escaped: Literal = r#""orders\x2eread\u{2e}""#.parse().unwrap();
        assert_eq!(string_value(&escaped).ok(), Some("orders.read.".to_owned()));
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
