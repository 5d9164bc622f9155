//! The RFC 9440 `Client-Cert` header: the client's certificate as a TLS-terminating proxy
//! passes it on, an RFC 8941 Byte Sequence (`:` base64 of the DER `:`).
//!
//! Read strictly and bounded: one field line, at most [`MAX_CLIENT_CERT_HEADER_BYTES`], the
//! standard base64 alphabet between two colons (padding optional, as RFC 8941 allows), no
//! parameters, and a DER SEQUENCE inside. Anything else is no certificate: RFC 8941 section
//! 4.2 says a field that fails to parse is ignored.

use base64::Engine;
use base64::engine::DecodePaddingMode;
#[cfg(test)]
use base64::engine::general_purpose;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use http::HeaderMap;
use http::header::HeaderName;

/// The header (RFC 9440 section 2.2).
pub const CLIENT_CERT: HeaderName = HeaderName::from_static("client-cert");
/// The chain a proxy may send beside it (RFC 9440 section 2.3): never read, always removed.
pub const CLIENT_CERT_CHAIN: HeaderName = HeaderName::from_static("client-cert-chain");

/// The longest `Client-Cert` value read, in bytes: a certificate of about 12 KiB of DER.
/// Longer values are ignored before any decoding.
pub const MAX_CLIENT_CERT_HEADER_BYTES: usize = 16 * 1024;

/// Standard base64, padding optional (RFC 8941 section 3.3.5 lets parsers accept both).
const STANDARD_PADDING_OPTIONAL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a `Client-Cert` header was not read: said in a debug log, never to the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// More than one field line (they would combine into a list, not an Item).
    Repeated,
    /// Over [`MAX_CLIENT_CERT_HEADER_BYTES`].
    TooLong,
    /// Not `:` base64 `:` alone.
    NotByteSequence,
    /// The bytes are not a DER SEQUENCE.
    NotDer,
}

/// The certificate (DER) in the request's `Client-Cert` header: `Ok(None)` without one.
pub(crate) fn client_cert(headers: &HeaderMap) -> Result<Option<Vec<u8>>, Unreadable> {
    let mut values = headers.get_all(&CLIENT_CERT).iter();
    let Some(value) = values.next() else { return Ok(None) };
    if values.next().is_some() {
        return Err(Unreadable::Repeated);
    }
    parse(value.as_bytes()).map(Some)
}

/// One field value: `:base64:`, with optional spaces around it.
pub(crate) fn parse(value: &[u8]) -> Result<Vec<u8>, Unreadable> {
    if value.len() > MAX_CLIENT_CERT_HEADER_BYTES {
        return Err(Unreadable::TooLong);
    }
    let value = trim_spaces(value);
    let inner = value
        .strip_prefix(b":")
        .and_then(|rest| rest.strip_suffix(b":"))
        .ok_or(Unreadable::NotByteSequence)?;
    if !inner.iter().all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) {
        return Err(Unreadable::NotByteSequence);
    }
    let der = STANDARD_PADDING_OPTIONAL.decode(inner).map_err(|_| Unreadable::NotByteSequence)?;
    if !is_der_sequence(&der) {
        return Err(Unreadable::NotDer);
    }
    Ok(der)
}

/// RFC 8941 section 4.2: leading and trailing spaces are discarded (HTTP already strips tabs).
fn trim_spaces(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Whether `der` is exactly one DER SEQUENCE (tag `0x30`) whose definite length covers the
/// rest: what every X.509 certificate is. The proxy verified the certificate; this only keeps
/// junk from being hashed and compared.
fn is_der_sequence(der: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = der else { return false };
    let (length, body) = match *first {
        short @ 0..=0x7f => (usize::from(short), rest),
        // Long form, one to four length octets, no leading zero octet.
        long @ 0x81..=0x84 => {
            let count = usize::from(long & 0x7f);
            let (Some(octets), Some(body)) = (rest.get(..count), rest.get(count..)) else {
                return false;
            };
            if octets.first() == Some(&0) {
                return false;
            }
            let length = octets.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            // DER uses the long form only for lengths of 128 and more.
            if length < 0x80 {
                return false;
            }
            (length, body)
        }
        _ => return false,
    };
    body.len() == length
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(der: &[u8], padded: bool) -> Vec<u8> {
        let engine =
            if padded { general_purpose::STANDARD } else { general_purpose::STANDARD_NO_PAD };
        format!(":{}:", engine.encode(der)).into_bytes()
    }

    fn sequence(body_len: usize) -> Vec<u8> {
        let mut der = vec![0x30];
        if body_len < 0x80 {
            der.push(u8::try_from(body_len).unwrap());
        } else if body_len < 0x100 {
            der.extend_from_slice(&[0x81, u8::try_from(body_len).unwrap()]);
        } else {
            der.push(0x82);
            der.extend_from_slice(&u16::try_from(body_len).unwrap().to_be_bytes());
        }
        der.extend(std::iter::repeat_n(0x05, body_len));
        der
    }

    #[test]
    fn reads_a_byte_sequence_padded_or_not_with_spaces_around() {
        // 127 is the last short-form length, 128 the first long-form one.
        for der in
            [sequence(0), sequence(3), sequence(127), sequence(128), sequence(200), sequence(1000)]
        {
            assert_eq!(parse(&value(&der, true)), Ok(der.clone()));
            assert_eq!(parse(&value(&der, false)), Ok(der.clone()));
            let mut spaced = b"  ".to_vec();
            spaced.extend(value(&der, true));
            spaced.extend_from_slice(b" \t");
            assert_eq!(parse(&spaced), Ok(der));
        }
    }

    #[test]
    fn refuses_what_is_not_one_byte_sequence() {
        let der = sequence(40);
        let good = value(&der, true);
        let text = String::from_utf8(good).unwrap();
        let cases: Vec<(Vec<u8>, Unreadable)> = vec![
            (b"".to_vec(), Unreadable::NotByteSequence),
            (b"::".to_vec(), Unreadable::NotDer),
            (text.trim_matches(':').as_bytes().to_vec(), Unreadable::NotByteSequence),
            (text.as_bytes()[..text.len() - 1].to_vec(), Unreadable::NotByteSequence),
            (format!("{text};a=1").into_bytes(), Unreadable::NotByteSequence),
            (
                text.replace('+', "-").replace('/', "_").replacen(":M", ":-", 1).into_bytes(),
                Unreadable::NotByteSequence,
            ),
            (format!("{text},{text}").into_bytes(), Unreadable::NotByteSequence),
            (b":AAA:".to_vec(), Unreadable::NotDer),
            (value(&[0x31, 0], true), Unreadable::NotDer),
            (value(&[0x30, 1], true), Unreadable::NotDer),
            (value(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5], true), Unreadable::NotDer),
            (value(&[0x30, 0x82, 0x00, 0x80], true), Unreadable::NotDer),
            (value(&[0x30, 0x85, 0, 0, 0, 0, 1, 0], true), Unreadable::NotDer),
            (value(&[0x30, 0x80, 0, 0], true), Unreadable::NotDer),
        ];
        for (input, expected) in cases {
            assert_eq!(parse(&input), Err(expected), "{}", String::from_utf8_lossy(&input));
        }
        let mut long = b":".to_vec();
        long.extend(std::iter::repeat_n(b'A', MAX_CLIENT_CERT_HEADER_BYTES));
        long.push(b':');
        assert_eq!(parse(&long), Err(Unreadable::TooLong));
        // The cap is inclusive: a value of exactly the cap is read (and judged on its merits).
        let at_cap = vec![b' '; MAX_CLIENT_CERT_HEADER_BYTES];
        assert_eq!(parse(&at_cap), Err(Unreadable::NotByteSequence));
        assert_eq!(parse(&[at_cap, vec![b' ']].concat()), Err(Unreadable::TooLong));
    }

    #[test]
    fn one_field_line_only() {
        let der = sequence(10);
        let mut headers = HeaderMap::new();
        assert_eq!(client_cert(&headers), Ok(None));
        let line = http::HeaderValue::from_bytes(&value(&der, true)).unwrap();
        headers.append(CLIENT_CERT, line.clone());
        assert_eq!(client_cert(&headers), Ok(Some(der)));
        headers.append(CLIENT_CERT, line);
        assert_eq!(client_cert(&headers), Err(Unreadable::Repeated));
    }
}
