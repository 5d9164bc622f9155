//! `scopegate metadata`: an API's protected resource metadata (RFC 9728) and its
//! authorization servers' metadata (RFC 8414, or OpenID Connect discovery), found and checked
//! the way MCP clients find and read them.

use http::Uri;
use scopegate_core::remote::HttpsClient;
use serde_json::{Map, Value};

use crate::Outcome;
use crate::cli::MetadataArgs;
use crate::fetch::{self, Failure};
use crate::report::{Mark, Report};

const RESOURCE_WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";
/// The most authorization servers checked.
const MAX_SERVERS: usize = 4;

/// A place the resource metadata may be: its URL, the resource its document must name, and
/// whether exactly (RFC 9728 section 3.3) or as a prefix of the API's URL.
type Candidate = (String, String, bool);

pub(crate) async fn run(args: &MetadataArgs, report: &mut Report) -> Outcome {
    let Some(candidates) = resource_candidates(&args.url) else {
        report.problem(&format!("{} is not an http(s) URL with a host", args.url));
        return Outcome::BadInput;
    };
    let client = HttpsClient::new();
    report.heading("protected resource metadata (RFC 9728)");
    // Where MCP clients look: the `resource_metadata` of the API's own `401`, then the
    // well-known URL with the API's path, then the one at the root.
    let challenged = challenge_metadata_url(&client, &args.url).await;
    let mut unreachable = false;
    let mut tried = Vec::new();
    let mut found = None;
    for (url, resource, exact) in challenged.into_iter().chain(candidates) {
        match fetch::json_object(&client, &url).await {
            Ok(document) => {
                found = Some((url, resource, exact, document));
                break;
            }
            Err(failure) => {
                unreachable |= matches!(failure, Failure::Unreachable(_));
                tried.push(format!("{url} ({})", failure.text()));
            }
        }
    }
    let Some((document_url, resource, exact, document)) = found else {
        report.check(Mark::Fail, "document", &format!("none found: tried {}", tried.join(", ")));
        return if unreachable { Outcome::Unreachable } else { Outcome::Refused };
    };
    report.check(Mark::Pass, "document", &document_url);
    if fetch::insecure(&document_url) {
        report.check(Mark::Warn, "transport", "plain http: clients refuse it except to loopback");
    }
    match text(&document, "resource") {
        Some(named) if names_resource(named, &resource, exact) => {
            report.check(Mark::Pass, "resource", named);
        }
        Some(named) => report.check(
            Mark::Fail,
            "resource",
            &format!("{named}, but the document was fetched for {resource} (RFC 9728 section 3.3)"),
        ),
        None => {
            report.check(Mark::Fail, "resource", "missing: the document must name its resource");
        }
    }
    let servers = list(&document, "authorization_servers");
    if servers.is_empty() {
        report.check(
            Mark::Fail,
            "auth servers",
            "none listed: a client cannot find where to log in",
        );
    } else {
        report.check(Mark::Pass, "auth servers", &servers.join(", "));
    }
    if servers.len() > MAX_SERVERS {
        let note = format!("only the first {MAX_SERVERS} of {} are checked", servers.len());
        report.check(Mark::Warn, "auth servers", &note);
    }
    match document.get("scopes_supported") {
        Some(_) => {
            report.check(Mark::Info, "scopes", &list(&document, "scopes_supported").join(" "));
        }
        None => {
            report.check(Mark::Warn, "scopes", "not listed: clients cannot tell what to ask for");
        }
    }
    let methods = list(&document, "bearer_methods_supported");
    if document.contains_key("bearer_methods_supported") && !methods.contains(&"header") {
        report.check(Mark::Warn, "bearer methods", "no `header`: MCP clients send the token there");
    }
    for server in servers.iter().take(MAX_SERVERS) {
        unreachable |= !authorization_server(&client, server, report).await;
    }
    report.line("");
    if report.failures() == 0 {
        report.check(Mark::Pass, "result", "an MCP client can find how to log in to this API");
        Outcome::Passed
    } else {
        let problems = report.failures();
        report.check(Mark::Fail, "result", &format!("{problems} problem(s) above"));
        if unreachable { Outcome::Unreachable } else { Outcome::Refused }
    }
}

/// The metadata URL the API names in the challenge of its `401` to a request without a
/// token, if it answers one; its document may describe the API's URL or a prefix of it.
async fn challenge_metadata_url(client: &HttpsClient, url: &str) -> Option<Candidate> {
    let uri: Uri = url.parse().ok()?;
    let headers = fetch::headers_of(client, &uri).await?;
    let challenge = headers.get(http::header::WWW_AUTHENTICATE)?.to_str().ok()?;
    let (_, after) = challenge.split_once("resource_metadata=\"")?;
    let (metadata, _) = after.split_once('"')?;
    Some((metadata.to_owned(), url.to_owned(), false))
}

/// Checks the metadata of the authorization server `issuer`; `false` when it could not be
/// reached.
async fn authorization_server(client: &HttpsClient, issuer: &str, report: &mut Report) -> bool {
    report.heading(&format!("authorization server {issuer}"));
    if fetch::insecure(issuer) {
        report.check(Mark::Fail, "transport", "plain http: MCP clients require https");
    }
    let urls = server_metadata_urls(issuer);
    if urls.is_empty() {
        report.check(Mark::Fail, "metadata", "the issuer is not an absolute http(s) URL");
        return true;
    }
    let mut found = None;
    let mut tried = Vec::new();
    let mut unreachable = false;
    for url in urls {
        match fetch::json_object(client, &url).await {
            Ok(document) => {
                found = Some((url, document));
                break;
            }
            Err(failure) => {
                unreachable |= matches!(failure, Failure::Unreachable(_));
                tried.push(format!("{url} ({})", failure.text()));
            }
        }
    }
    let Some((url, document)) = found else {
        report.check(Mark::Fail, "metadata", &format!("none found: tried {}", tried.join(", ")));
        return !unreachable;
    };
    report.check(Mark::Pass, "metadata", &url);
    match text(&document, "issuer") {
        Some(named) if named == issuer => report.check(Mark::Pass, "issuer", named),
        Some(named) => report.check(
            Mark::Fail,
            "issuer",
            &format!("{named}, not {issuer}: clients must refuse it (RFC 8414 section 3.3)"),
        ),
        None => report.check(Mark::Fail, "issuer", "missing"),
    }
    for endpoint in ["authorization_endpoint", "token_endpoint"] {
        match text(&document, endpoint) {
            Some(url) => report.check(Mark::Pass, short(endpoint), url),
            None => report.check(Mark::Fail, short(endpoint), "missing"),
        }
    }
    if list(&document, "code_challenge_methods_supported").contains(&"S256") {
        report.check(Mark::Pass, "PKCE", "S256");
    } else {
        report.check(
            Mark::Fail,
            "PKCE",
            "S256 not in code_challenge_methods_supported: MCP clients will not log in",
        );
    }
    let metadata_documents = document.get("client_id_metadata_document_supported");
    if metadata_documents == Some(&Value::Bool(true)) {
        report.check(Mark::Pass, "registration", "client ID metadata documents: no setup needed");
    } else if let Some(endpoint) = text(&document, "registration_endpoint") {
        report.check(Mark::Pass, "registration", &format!("dynamic, at {endpoint}"));
    } else {
        report.check(
            Mark::Warn,
            "registration",
            "neither client ID metadata documents nor dynamic registration: clients must be \
             registered beforehand",
        );
    }
    true
}

/// The well-known metadata URLs for `url`, in the order MCP clients try them.
fn resource_candidates(url: &str) -> Option<Vec<Candidate>> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str().filter(|scheme| matches!(*scheme, "http" | "https"))?;
    let origin = format!("{scheme}://{}", uri.authority()?);
    let path = uri.path();
    if let Some(rest) = path.strip_prefix(RESOURCE_WELL_KNOWN) {
        return Some(vec![(format!("{origin}{path}"), format!("{origin}{rest}"), true)]);
    }
    let path = path.trim_end_matches('/');
    let mut candidates =
        vec![(format!("{origin}{RESOURCE_WELL_KNOWN}{path}"), format!("{origin}{path}"), true)];
    if !path.is_empty() {
        let root = (format!("{origin}{RESOURCE_WELL_KNOWN}"), format!("{origin}{path}"), false);
        candidates.push(root);
    }
    Some(candidates)
}

/// Where an authorization server's metadata may be, in the order MCP clients try.
fn server_metadata_urls(issuer: &str) -> Vec<String> {
    let Ok(uri) = issuer.parse::<Uri>() else { return Vec::new() };
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Vec::new();
    };
    let origin = format!("{scheme}://{authority}");
    let path = uri.path().trim_end_matches('/');
    let mut urls = vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
    ];
    if !path.is_empty() {
        urls.push(format!("{origin}{path}/.well-known/openid-configuration"));
    }
    urls
}

/// Whether the document's `resource` is `expected` or, when not `exact`, the same origin and
/// a path prefix of it, segment by segment.
fn names_resource(named: &str, expected: &str, exact: bool) -> bool {
    let (named, expected) = (named.trim_end_matches('/'), expected.trim_end_matches('/'));
    named == expected
        || (!exact && expected.strip_prefix(named).is_some_and(|rest| rest.starts_with('/')))
}

fn text<'d>(document: &'d Map<String, Value>, name: &str) -> Option<&'d str> {
    document.get(name).and_then(Value::as_str)
}

fn list<'d>(document: &'d Map<String, Value>, name: &str) -> Vec<&'d str> {
    let items = document.get(name).and_then(Value::as_array).into_iter().flatten();
    items.filter_map(Value::as_str).collect()
}

fn short(endpoint: &str) -> &str {
    endpoint.trim_end_matches("_endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_as_the_rfcs_build_them() {
        let urls = |url: &str| resource_candidates(url).unwrap();
        let api = "https://api.example.com";
        let well_known = format!("{api}/.well-known/oauth-protected-resource");
        assert_eq!(
            urls("https://api.example.com/mcp"),
            [
                (format!("{well_known}/mcp"), format!("{api}/mcp"), true),
                (well_known.clone(), format!("{api}/mcp"), false),
            ]
        );
        assert_eq!(urls("https://api.example.com/"), [(well_known, api.to_owned(), true)]);
        assert_eq!(
            urls("http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"),
            [(
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp".to_owned(),
                "http://127.0.0.1:8080/mcp".to_owned(),
                true
            )]
        );
        assert_eq!(resource_candidates("ftp://x/"), None);
        assert_eq!(resource_candidates("/relative"), None);
        assert!(names_resource("https://a.example/mcp/", "https://a.example/mcp", true));
        assert!(!names_resource("https://a.example", "https://a.example/mcp", true));
        assert!(names_resource("https://a.example", "https://a.example/mcp", false));
        assert!(!names_resource("https://a.example/m", "https://a.example/mcp", false));
        assert!(!names_resource("https://a.example.evil", "https://a.example/mcp", false));
        assert_eq!(
            server_metadata_urls("https://id.example.com/realms/acme"),
            [
                "https://id.example.com/.well-known/oauth-authorization-server/realms/acme",
                "https://id.example.com/.well-known/openid-configuration/realms/acme",
                "https://id.example.com/realms/acme/.well-known/openid-configuration",
            ]
        );
        assert_eq!(server_metadata_urls("https://id.example.com").len(), 2);
    }
}
