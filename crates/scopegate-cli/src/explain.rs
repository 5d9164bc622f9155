//! `scopegate explain`: every check the verifier runs, in order, against the real issuer, each
//! with the values involved, then the status and challenge the layer would answer.

use std::convert::Infallible;

use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::BodyExt as _;
use scopegate_core::verifier::DEFAULT_LEEWAY;
use scopegate_core::{ErrorKind, NumericDate, Verifier};
use scopegate_tower::{BearerAuthLayer, RequireRoleLayer, RequireScopeLayer};
use serde_json::Value;
use tower::{Layer as _, ServiceExt as _, service_fn};

use crate::Outcome;
use crate::cli::ExplainArgs;
use crate::input;
use crate::jwt::Unverified;
use crate::report::{Mark, Report};
use crate::time;

pub(crate) async fn run(args: &ExplainArgs, report: &mut Report) -> Outcome {
    let token = match input::token(&args.token).await {
        Ok(token) => token,
        Err(problem) => {
            report.problem(&problem);
            return Outcome::BadInput;
        }
    };
    let scopes = if args.scopes.is_empty() {
        None
    } else {
        match RequireScopeLayer::all_of(&args.scopes) {
            Ok(layer) => Some(layer),
            Err(error) => {
                report.problem(&format!("--scope: {error}"));
                return Outcome::BadInput;
            }
        }
    };
    if HeaderValue::from_str(&format!("Bearer {token}")).is_err() {
        report.problem("the token has characters no `Authorization` header can carry");
        return Outcome::BadInput;
    }
    let now = NumericDate::now().as_secs();
    report.heading("the token, as written (nothing trusted yet; the default claim mapping)");
    match Unverified::read(&token) {
        Ok(read) => written(&read, args, now, report),
        Err(problem) => report.check(Mark::Fail, "format", &problem),
    }

    report.heading(&format!("the issuer {}", args.issuer));
    let mut builder = Verifier::builder().issuer(&args.issuer).audience(&args.audience);
    if let Some(jwks_uri) = &args.jwks_uri {
        builder = builder.jwks_uri(jwks_uri);
    }
    let verifier = match builder.build().await {
        Ok(verifier) => verifier,
        Err(error) if error.kind() == ErrorKind::InvalidConfiguration => {
            report.problem(&format!("--issuer, --audience or --jwks-uri: {error}"));
            return Outcome::BadInput;
        }
        Err(error) => {
            report.check(Mark::Fail, "keys", &error.to_string());
            report.heading("what the API answers");
            report.check(Mark::Fail, "status", "503 Service Unavailable: the keys cannot be had");
            return Outcome::Unreachable;
        }
    };
    for stats in verifier.key_source_stats() {
        let source = stats.jwks_uri.unwrap_or_else(|| "configured keys".to_owned());
        let ids =
            if stats.key_ids.is_empty() { "no kid".to_owned() } else { stats.key_ids.join(", ") };
        report.check(Mark::Pass, "keys", &format!("{} from {source} ({ids})", stats.keys));
    }

    report.heading("verification, as the API runs it");
    match verifier.verify(&token).await {
        Ok(claims) => {
            let subject = claims.subject().unwrap_or("(none)");
            report.check(
                Mark::Pass,
                "verified",
                &format!("signature, issuer, audience and times hold; subject {subject}"),
            );
        }
        Err(error) => {
            report.check(Mark::Fail, "refused", &format!("{error} ({:?})", error.kind()));
        }
    }

    report.heading("what the API answers");
    let mut answer = layer_answer(&verifier, &token, scopes.as_ref(), None).await;
    for role in &args.roles {
        if answer.0 != StatusCode::OK {
            break;
        }
        answer = layer_answer(&verifier, &token, scopes.as_ref(), Some(role)).await;
    }
    let (status, challenge) = answer;
    let mark = if status == StatusCode::OK { Mark::Pass } else { Mark::Fail };
    report.check(mark, "status", &status.to_string());
    if let Some(challenge) = challenge {
        report.check(Mark::Info, "challenge", &format!("WWW-Authenticate: {challenge}"));
    }
    match status {
        StatusCode::OK => Outcome::Passed,
        StatusCode::SERVICE_UNAVAILABLE => Outcome::Unreachable,
        _ => Outcome::Refused,
    }
}

/// The checks that need only the token as written, each with its values.
fn written(read: &Unverified, args: &ExplainArgs, now: u64, report: &mut Report) {
    let header = |name: &str| read.header_text(name).unwrap_or("(none)").to_owned();
    report.check(
        Mark::Info,
        "header",
        &format!("alg {}, kid {}, typ {}", header("alg"), header("kid"), header("typ")),
    );
    match read.claims.get("iss").and_then(Value::as_str) {
        Some(iss) if iss == args.issuer => report.check(Mark::Pass, "iss", iss),
        Some(iss) => report.check(Mark::Fail, "iss", &format!("{iss}, not {}", args.issuer)),
        None => report.check(Mark::Fail, "iss", "missing"),
    }
    let audiences = read.audiences();
    let listed = if audiences.is_empty() { "missing".to_owned() } else { audiences.join(", ") };
    if audiences.contains(&args.audience.as_str()) {
        report.check(Mark::Pass, "aud", &listed);
    } else {
        report.check(Mark::Fail, "aud", &format!("{listed}; the API requires {}", args.audience));
    }
    times(read, now, report);
    match read.claims.get("cnf").and_then(Value::as_object) {
        Some(cnf) if cnf.contains_key("jkt") => report.check(
            Mark::Warn,
            "cnf",
            "bound to a DPoP key: the request must carry the `DPoP` scheme and a proof",
        ),
        Some(cnf) if cnf.contains_key("x5t#S256") => report.check(
            Mark::Warn,
            "cnf",
            "bound to a client certificate: the request must come over that mutual-TLS connection",
        ),
        Some(_) => report.check(Mark::Warn, "cnf", "a confirmation this API does not read"),
        None => report.check(Mark::Info, "cnf", "none: a bearer token"),
    }
    let granted = read.scopes();
    let missing: Vec<&str> =
        args.scopes.iter().map(String::as_str).filter(|scope| !granted.contains(scope)).collect();
    let found = format!("granted [{}], required [{}]", granted.join(" "), args.scopes.join(" "));
    report.check(if missing.is_empty() { Mark::Pass } else { Mark::Fail }, "scopes", &found);
    if !args.roles.is_empty() || !read.roles().is_empty() {
        let held = read.roles();
        let missing = args.roles.iter().any(|role| !held.contains(&role.as_str()));
        let found = format!("held [{}], required [{}]", held.join(" "), args.roles.join(" "));
        report.check(if missing { Mark::Fail } else { Mark::Pass }, "roles", &found);
    }
}

/// `exp`, `nbf` and `iat` against the clock, with the leeway the verifier allows.
fn times(read: &Unverified, now: u64, report: &mut Report) {
    let leeway = DEFAULT_LEEWAY.as_secs();
    report.check(Mark::Info, "clock", &format!("now {} (leeway {leeway}s)", time::utc(now)));
    match read.seconds("exp") {
        // Valid while the clock is before `exp` plus the leeway (RFC 7519 section 4.1.4).
        Some(exp) if now < exp.saturating_add(leeway) => {
            report.check(Mark::Pass, "exp", &time::human(exp, now));
        }
        Some(exp) => {
            report.check(Mark::Fail, "exp", &format!("expired: {}", time::human(exp, now)));
        }
        None => report.check(Mark::Fail, "exp", "missing"),
    }
    if let Some(nbf) = read.seconds("nbf") {
        let mark = if nbf <= now.saturating_add(leeway) { Mark::Pass } else { Mark::Fail };
        report.check(mark, "nbf", &time::human(nbf, now));
    }
    if let Some(iat) = read.seconds("iat") {
        let mark = if iat <= now.saturating_add(leeway) { Mark::Pass } else { Mark::Fail };
        report.check(mark, "iat", &time::human(iat, now));
    }
}

/// The status and challenge `BearerAuthLayer` (with the scope and role guards) answers a
/// request carrying `token`.
async fn layer_answer(
    verifier: &Verifier,
    token: &str,
    scopes: Option<&RequireScopeLayer>,
    role: Option<&str>,
) -> (StatusCode, Option<String>) {
    let auth = BearerAuthLayer::new(verifier.clone());
    let ok = service_fn(|_: Request<String>| async {
        Ok::<_, Infallible>(Response::new(String::new()))
    });
    let request = || {
        let mut request = Request::new(String::new());
        if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        request
    };
    match (scopes, role) {
        (None, None) => answer(auth.layer(ok).oneshot(request()).await).await,
        (Some(scopes), None) => answer(auth.layer(scopes.layer(ok)).oneshot(request()).await).await,
        (None, Some(role)) => {
            let guarded = RequireRoleLayer::role(role).layer(ok);
            answer(auth.layer(guarded).oneshot(request()).await).await
        }
        (Some(scopes), Some(role)) => {
            let guarded = scopes.layer(RequireRoleLayer::role(role).layer(ok));
            answer(auth.layer(guarded).oneshot(request()).await).await
        }
    }
}

async fn answer<B: http_body::Body>(
    response: Result<Response<B>, Infallible>,
) -> (StatusCode, Option<String>) {
    let Ok(response) = response;
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let status = response.status();
    let _ = response.into_body().collect().await;
    (status, challenge)
}
