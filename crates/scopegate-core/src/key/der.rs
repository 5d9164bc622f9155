//! Just enough DER to read a PKCS#1 `RSAPublicKey` (RFC 8017 appendix A.1.1).

/// Reads `SEQUENCE { INTEGER modulus, INTEGER publicExponent }` and returns both integers with
/// leading zero bytes removed. Anything else, including trailing data, is `None`.
pub(crate) fn rsa_public_key(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (sequence, rest) = element(der, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (modulus, rest) = element(sequence, 0x02)?;
    let (exponent, rest) = element(rest, 0x02)?;
    if !rest.is_empty() {
        return None;
    }
    Some((strip_zeros(modulus), strip_zeros(exponent)))
}

/// One tag-length-value element with the expected `tag`: its contents and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&found, input) = input.split_first()?;
    if found != tag {
        return None;
    }
    let (&first, mut input) = input.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        // Long form: 1 to 4 length bytes are plenty for a key.
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, rest) = input.split_at_checked(count)?;
        input = rest;
        bytes.iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte))
    };
    input.split_at_checked(length)
}

fn strip_zeros(mut integer: &[u8]) -> &[u8] {
    while let [0, rest @ ..] = integer {
        integer = rest;
    }
    integer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_short_and_long_forms() {
        // SEQUENCE { INTEGER 0x00ff01, INTEGER 0x010001 }
        let der = [0x30, 0x0a, 0x02, 0x03, 0x00, 0xff, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01];
        assert_eq!(rsa_public_key(&der), Some((&[0xff, 0x01][..], &[0x01, 0x00, 0x01][..])));
        let long = [0x30, 0x81, 0x0a, 0x02, 0x03, 0x00, 0xff, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01];
        assert!(rsa_public_key(&long).is_some());
    }

    #[test]
    fn refuses_truncated_or_padded_input() {
        let der = [0x30, 0x0a, 0x02, 0x03, 0x00, 0xff, 0x01, 0x02, 0x03, 0x01, 0x00, 0x01];
        for end in 0..der.len() {
            assert_eq!(rsa_public_key(&der[..end]), None, "{end}");
        }
        let mut padded = der.to_vec();
        padded.push(0);
        assert_eq!(rsa_public_key(&padded), None);
        assert_eq!(rsa_public_key(&[0x30, 0x85, 0, 0, 0, 0, 1]), None);
    }
}
