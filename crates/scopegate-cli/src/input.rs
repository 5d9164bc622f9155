//! Reading the token from the command line or standard input.

use tokio::io::AsyncReadExt as _;

/// The largest token read, in bytes (the verifier's own limit is 8 KiB by default, at most
/// 64 KiB).
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The token in `argument`, or read from standard input when it is `-`; a `Bearer ` or `DPoP `
/// prefix and surrounding white space are dropped.
pub(crate) async fn token(argument: &str) -> Result<String, String> {
    let raw = if argument == "-" {
        let mut bytes = Vec::new();
        let mut stdin = tokio::io::stdin().take(MAX_TOKEN_BYTES as u64 + 1);
        stdin.read_to_end(&mut bytes).await.map_err(|_| "cannot read standard input".to_owned())?;
        String::from_utf8(bytes)
            .map_err(|_| "the token on standard input is not UTF-8".to_owned())?
    } else {
        argument.to_owned()
    };
    if raw.len() > MAX_TOKEN_BYTES {
        return Err(format!("the token is larger than {MAX_TOKEN_BYTES} bytes"));
    }
    let trimmed = raw.trim();
    // A pasted `Authorization` value: its scheme, in any case (RFC 9110 section 11.1).
    let token = match trimmed.split_once(' ') {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop") =>
        {
            rest.trim()
        }
        _ => trimmed,
    };
    if token.is_empty() {
        return Err("the token is empty".to_owned());
    }
    Ok(token.to_owned())
}
