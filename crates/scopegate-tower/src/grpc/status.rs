//! `google.rpc.Status` with one `google.rpc.ErrorInfo`, in protobuf's wire format: what
//! `grpc-status-details-bin` carries. Hand-written (three messages, two wire types) so that
//! the tower crate needs no protobuf library.

/// The type URL of `google.rpc.ErrorInfo` inside a `google.protobuf.Any`.
pub(crate) const ERROR_INFO_TYPE_URL: &str = "type.googleapis.com/google.rpc.ErrorInfo";

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(u8::try_from(value & 0x7f).unwrap_or_default() | 0x80);
        value >>= 7;
    }
    out.push(u8::try_from(value).unwrap_or_default());
}

/// A length-delimited field (wire type 2).
fn field(out: &mut Vec<u8>, number: u64, bytes: &[u8]) {
    varint(out, (number << 3) | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// `google.rpc.ErrorInfo { reason = 1; domain = 2; map<string, string> metadata = 3 }`.
pub(crate) fn error_info(reason: &str, domain: &str, metadata: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    field(&mut out, 1, reason.as_bytes());
    field(&mut out, 2, domain.as_bytes());
    for (key, value) in metadata {
        let mut entry = Vec::new();
        field(&mut entry, 1, key.as_bytes());
        field(&mut entry, 2, value.as_bytes());
        field(&mut out, 3, &entry);
    }
    out
}

/// `google.rpc.Status { int32 code = 1; string message = 2; repeated Any details = 3 }` with
/// one `Any { type_url = 1; bytes value = 2 }` holding `error_info`.
pub(crate) fn status(code: u8, message: &str, error_info: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    if code != 0 {
        varint(&mut out, 1 << 3);
        varint(&mut out, u64::from(code));
    }
    if !message.is_empty() {
        field(&mut out, 2, message.as_bytes());
    }
    let mut any = Vec::new();
    field(&mut any, 1, ERROR_INFO_TYPE_URL.as_bytes());
    field(&mut any, 2, error_info);
    field(&mut out, 3, &any);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of tonic-types' own `ErrorInfo` test: the same bytes prost writes.
    #[test]
    fn error_info_as_prost_writes_it() {
        let mut expected = vec![10, 9];
        expected.extend_from_slice(b"SOME_INFO");
        expected.extend_from_slice(&[18, 12]);
        expected.extend_from_slice(b"mydomain.com");
        expected.extend_from_slice(&[26, 30, 10, 23]);
        expected.extend_from_slice(b"instanceLimitPerRequest");
        expected.extend_from_slice(&[18, 3]);
        expected.extend_from_slice(b"100");
        assert_eq!(
            error_info("SOME_INFO", "mydomain.com", &[("instanceLimitPerRequest", "100")]),
            expected
        );
    }

    #[test]
    fn status_with_details() {
        let info = error_info("TOKEN_MISSING", "example.com", &[]);
        let encoded = status(16, "missing token", &info);
        let hex: String = encoded.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "0810120d6d697373696e6720746f6b656e1a480a28747970652e676f6f676c65617069732e636f6d2f676f6f676c652e7270632e4572726f72496e666f121c0a0d544f4b454e5f4d495353494e47120b6578616d706c652e636f6d"
        );
        // Lengths past 127 take two varint bytes.
        let long = "x".repeat(200);
        let encoded = status(7, &long, &[]);
        assert_eq!(&encoded[..5], &[0x08, 7, 0x12, 0xc8, 0x01]);
    }
}
