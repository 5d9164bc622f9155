//! The compact JWS serialization: splitting, base64url decoding, and the protected header.

pub(crate) mod base64url;
mod header;
pub(crate) mod header_memo;

pub(crate) use header::{Header, TypeRule};

use crate::error::Error;

/// A token split into its three segments, not yet decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactToken<'a> {
    /// `base64url(header) "." base64url(payload)`: the bytes the signature covers.
    pub(crate) signing_input: &'a str,
    pub(crate) header: &'a str,
    pub(crate) payload: &'a str,
    pub(crate) signature: &'a str,
}

impl<'a> CompactToken<'a> {
    /// Splits `token` into exactly three segments, the first two non-empty. An empty signature
    /// is let through here so that `alg: none` tokens are refused for their algorithm; it can
    /// never verify.
    pub(crate) fn split(token: &'a str) -> Result<Self, Error> {
        // memchr's vector search: the third search runs over the whole signature (measured:
        // about 600 fewer instructions per 640-byte token than `str::match_indices`).
        let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
        let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
            let segments = memchr::memchr_iter(b'.', token.as_bytes()).count() + 1;
            return Err(Error::malformed(if segments == 5 {
                "encrypted tokens (JWE) are not supported"
            } else {
                "the token must have three dot-separated segments"
            }));
        };
        // `first` and `second` are positions of the ASCII `.`, so every split below falls on a
        // character boundary and cannot panic.
        let (signing_input, dot_signature) = token.split_at(second);
        let (header, dot_payload) = signing_input.split_at(first);
        let split = Self {
            signing_input,
            header,
            payload: dot_payload.split_at(1).1,
            signature: dot_signature.split_at(1).1,
        };
        if split.header.is_empty() || split.payload.is_empty() {
            return Err(Error::malformed("a token segment is empty"));
        }
        Ok(split)
    }
}

/// Decodes one segment: unpadded base64url with canonical trailing bits, as RFC 7515 requires.
pub(crate) fn decode_segment(segment: &str, what: &'static str) -> Result<Vec<u8>, Error> {
    base64url::decode(segment.as_bytes()).map_err(|_| malformed(what))
}

/// Decodes one segment into `stack` when it fits, else into `heap`: the common case costs no
/// allocation.
pub(crate) fn decode_into<'b, const N: usize>(
    segment: &str,
    what: &'static str,
    stack: &'b mut [u8; N],
    heap: &'b mut Vec<u8>,
) -> Result<&'b [u8], Error> {
    match base64url::decoded_len(segment.len()) {
        None => Err(malformed(what)),
        Some(length) if length <= N => {
            base64url::decode_to(segment.as_bytes(), stack).map_err(|_| malformed(what))
        }
        Some(_) => {
            *heap = decode_segment(segment, what)?;
            Ok(heap)
        }
    }
}

fn malformed(what: &'static str) -> Error {
    Error::malformed(match what {
        "header" => "the token header is not valid unpadded base64url",
        "payload" => "the token payload is not valid unpadded base64url",
        _ => "the token signature is not valid unpadded base64url",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn splits_three_segments() {
        let token = CompactToken::split("aGVhZA.Ym9keQ.c2ln").unwrap();
        assert_eq!(token.signing_input, "aGVhZA.Ym9keQ");
        assert_eq!((token.header, token.payload, token.signature), ("aGVhZA", "Ym9keQ", "c2ln"));
    }

    #[test]
    fn refuses_other_shapes() {
        for token in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "..", "a..c", ".b.c"] {
            let error = CompactToken::split(token).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::MalformedToken, "{token}");
        }
        let jwe = CompactToken::split("a.b.c.d.e").unwrap_err();
        assert_eq!(jwe.message(), "encrypted tokens (JWE) are not supported");
        assert_eq!(CompactToken::split("a.b.").unwrap().signature, "");
        let many = ".".repeat(200_000);
        assert!(CompactToken::split(&many).is_err());
    }

    #[test]
    fn small_segments_decode_on_the_stack() {
        let (mut stack, mut heap) = ([0u8; 4], Vec::new());
        assert_eq!(decode_into("aGk", "payload", &mut stack, &mut heap).unwrap(), b"hi");
        assert!(heap.is_empty());
        let long = decode_into("aGVsbG8gd29ybGQ", "payload", &mut stack, &mut heap).unwrap();
        assert_eq!(long, b"hello world");
        let (mut stack, mut heap) = ([0u8; 4], Vec::new());
        assert!(decode_into("aG k", "payload", &mut stack, &mut heap).is_err());
    }

    #[test]
    fn base64url_is_strict() {
        assert_eq!(decode_segment("aGk", "payload").unwrap(), b"hi");
        // Padding, the standard alphabet, whitespace and non-canonical trailing bits.
        for segment in ["aGk=", "a+8", "a/8", "aG k", "aGl", "a", " aGk"] {
            assert!(decode_segment(segment, "payload").is_err(), "{segment}");
        }
    }
}
