//! `Mcp-Param-<Name>` headers (MCP 2026-07-28): a client mirrors tool arguments into headers
//! so that gateways can route on them without reading the body. Whoever routes on a header
//! and authorizes on the body (or the other way round) can be told two different things, so
//! each such header must equal the argument it mirrors, or the request is refused (`400`,
//! JSON-RPC `-32020`).

use http::HeaderMap;
use serde_json::{Map, Value};

use crate::call::{CallError, HEADER_MISMATCH, decode_name};

/// The prefix of the headers that mirror arguments.
const PREFIX: &str = "mcp-param-";

/// Checks every `Mcp-Param-*` header of `headers` against `arguments` (a `tools/call`'s
/// `params.arguments`; `None` for other requests, which may carry no such header).
pub(crate) fn check(
    headers: &HeaderMap,
    arguments: Option<&Map<String, Value>>,
) -> Result<(), CallError> {
    let mismatch = || {
        CallError::new(HEADER_MISMATCH, "an Mcp-Param header does not match the tool's arguments")
    };
    for (name, value) in headers {
        let Some(argument) = name.as_str().strip_prefix(PREFIX) else { continue };
        // Header names are case-insensitive; argument names are matched the same way.
        let mut candidates = arguments
            .into_iter()
            .flatten()
            .filter(|(name, _)| name.eq_ignore_ascii_case(argument))
            .map(|(_, value)| value);
        let mirrored = candidates.next();
        // `Amount` and `amount` both: which one the tool reads is unknown.
        if candidates.next().is_some() {
            return Err(mismatch());
        }
        let expected = match mirrored {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            Some(Value::Bool(flag)) => flag.to_string(),
            _ => return Err(mismatch()),
        };
        let header = value.to_str().ok().and_then(decode_name).ok_or_else(mismatch)?;
        if header != expected {
            return Err(mismatch());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderName, HeaderValue};
    use serde_json::json;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (HeaderName::try_from(*name).unwrap(), HeaderValue::from_str(value).unwrap())
            })
            .collect()
    }

    #[test]
    fn each_mirrored_argument_must_equal_the_body() {
        let arguments =
            json!({"Amount": 150, "order": "A-1", "express": true, "note": "caf\u{e9}"});
        let arguments = arguments.as_object();
        for good in [
            vec![],
            vec![("mcp-param-amount", "150")],
            vec![("mcp-param-order", "A-1"), ("mcp-param-express", "true")],
            vec![("mcp-param-note", "=?base64?Y2Fmw6k=?=")],
        ] {
            assert!(check(&headers(&good), arguments).is_ok(), "{good:?}");
        }
        for bad in [
            vec![("mcp-param-amount", "50")],
            vec![("mcp-param-amount", "150"), ("mcp-param-amount", "50")],
            vec![("mcp-param-missing", "1")],
            vec![("mcp-param-order", "=?base64?!!?=")],
        ] {
            let error = check(&headers(&bad), arguments).unwrap_err();
            assert_eq!(error.code(), HEADER_MISMATCH, "{bad:?}");
        }
        // Two arguments the header could mirror: refused.
        let twins = json!({"amount": 1, "Amount": 1});
        assert!(check(&headers(&[("mcp-param-amount", "1")]), twins.as_object()).is_err());
        // A request that is not a tool call carries no such header.
        assert!(check(&headers(&[("mcp-param-amount", "150")]), None).is_err());
    }
}
