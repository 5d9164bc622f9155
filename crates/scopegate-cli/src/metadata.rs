//! `scopegate metadata`: an API's protected resource metadata (RFC 9728) and its
//! authorization servers' metadata (RFC 8414, or OpenID Connect discovery), checked for what an
//! MCP client needs to log in.

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

pub(crate) async fn run(args: &MetadataArgs, report: &mut Report) -> Outcome {
    let Some((document_url, resource)) = resource_urls(&args.url) else {
        report.problem(&format!("{} is not an http(s) URL with a host", args.url));
        return Outcome::BadInput;
    };
    let client = HttpsClient::new();
    report.heading("protected resource metadata (RFC 9728)");
    let document = match fetch::json_object(&client, &document_url).await {
        Ok(document) => document,
        Err(failure) => {
            report.check(Mark::Fail, "document", &format!("{document_url}: {}", failure.text()));
            return match failure {
                Failure::Unreachable(_) => Outcome::Unreachable,
                Failure::Refused(_) => Outcome::Refused,
            };
        }
    };
    report.check(Mark::Pass, "document", &document_url);
    if fetch::insecure(&document_url) {
        report.check(Mark::Warn, "transport", "plain http: clients refuse it except to loopback");
    }
    match text(&document, "resource") {
        Some(named) if same_resource(named, &resource) => {
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
        authorization_server(&client, server, report).await;
    }
    report.line("");
    if report.failures() == 0 {
        report.check(Mark::Pass, "result", "an MCP client can find how to log in to this API");
        Outcome::Passed
    } else {
        let problems = report.failures();
        report.check(Mark::Fail, "result", &format!("{problems} problem(s) above"));
        Outcome::Refused
    }
}

/// Checks the metadata of the authorization server `issuer`.
async fn authorization_server(client: &HttpsClient, issuer: &str, report: &mut Report) {
    report.heading(&format!("authorization server {issuer}"));
    let mut found = None;
    let mut tried = Vec::new();
    for url in server_metadata_urls(issuer) {
        match fetch::json_object(client, &url).await {
            Ok(document) => {
                found = Some((url, document));
                break;
            }
            Err(failure) => tried.push(format!("{url} ({})", failure.text())),
        }
    }
    let Some((url, document)) = found else {
        report.check(Mark::Fail, "metadata", &format!("none found: tried {}", tried.join(", ")));
        return;
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
}

/// The metadata URL for `url` and the resource it describes.
fn resource_urls(url: &str) -> Option<(String, String)> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str().filter(|scheme| matches!(*scheme, "http" | "https"))?;
    let origin = format!("{scheme}://{}", uri.authority()?);
    let path = uri.path();
    if let Some(rest) = path.strip_prefix(RESOURCE_WELL_KNOWN) {
        return Some((format!("{origin}{path}"), format!("{origin}{rest}")));
    }
    let path = path.trim_end_matches('/');
    Some((format!("{origin}{RESOURCE_WELL_KNOWN}{path}"), format!("{origin}{path}")))
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

fn same_resource(named: &str, expected: &str) -> bool {
    named.trim_end_matches('/') == expected.trim_end_matches('/')
}

fn text<'d>(document: &'d Map<String, Value>, name: &str) -> Option<&'d str> {
    document.get(name).and_then(Value::as_str)
}

fn list<'d>(document: &'d Map<String, Value>, name: &str) -> Vec<&'d str> {
    document
        .get(name)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn short(endpoint: &str) -> &str {
    endpoint.trim_end_matches("_endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_urls_as_the_rfcs_build_them() {
        let both = |url: &str| resource_urls(url).unwrap();
        assert_eq!(
            both("https://api.example.com/mcp"),
            (
                "https://api.example.com/.well-known/oauth-protected-resource/mcp".to_owned(),
                "https://api.example.com/mcp".to_owned()
            )
        );
        assert_eq!(
            both("https://api.example.com/"),
            (
                "https://api.example.com/.well-known/oauth-protected-resource".to_owned(),
                "https://api.example.com".to_owned()
            )
        );
        assert_eq!(
            both("http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"),
            (
                "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp".to_owned(),
                "http://127.0.0.1:8080/mcp".to_owned()
            )
        );
        assert_eq!(resource_urls("ftp://x/"), None);
        assert_eq!(resource_urls("/relative"), None);
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
