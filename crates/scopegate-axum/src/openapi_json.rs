//! Reading security requirements out of an OpenAPI document as JSON, for both generators.

use serde_json::Value;

/// The scheme name the requirements use (`accessToken`).
pub(crate) const SECURITY_SCHEME: &str = "accessToken";

/// The scopes every security requirement of `operation` lists for [`SECURITY_SCHEME`],
/// sorted, without repeats.
pub(crate) fn operation_scopes<'a>(operations: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    let mut scopes: Vec<String> = operations
        .into_iter()
        .filter_map(|operation| operation.get("security")?.as_array())
        .flatten()
        .filter_map(|requirement| requirement.get(SECURITY_SCHEME)?.as_array())
        .flatten()
        .filter_map(|scope| scope.as_str().map(str::to_owned))
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    scopes
}
