//! `scopegate decode`: a token's header and claims, clearly not verified.

use serde_json::Value;

use crate::Outcome;
use crate::cli::DecodeArgs;
use crate::input;
use crate::jwt::Unverified;
use crate::report::{Mark, Report};
use crate::time;

/// The claims shown with human times beside them.
const TIMES: [&str; 4] = ["exp", "nbf", "iat", "auth_time"];

pub(crate) async fn run(args: &DecodeArgs, report: &mut Report) -> Outcome {
    let token = match input::token(&args.token).await {
        Ok(token) => token,
        Err(problem) => {
            report.problem(&problem);
            return Outcome::BadInput;
        }
    };
    let read = match Unverified::read(&token) {
        Ok(read) => read,
        Err(problem) => {
            report.problem(&problem);
            return Outcome::BadInput;
        }
    };
    report.check(
        Mark::Warn,
        "NOT VERIFIED",
        "anyone can write a token that decodes; `scopegate explain` checks it",
    );
    report.heading("header (NOT VERIFIED)");
    report.line(&pretty(&Value::Object(read.header.clone())));
    report.heading("claims (NOT VERIFIED)");
    report.line(&pretty(&Value::Object(read.claims.clone())));
    let now = scopegate_core::NumericDate::now().as_secs();
    let times: Vec<(&str, u64)> =
        TIMES.iter().filter_map(|name| Some((*name, read.seconds(name)?))).collect();
    if !times.is_empty() {
        report.heading("times");
        for (name, secs) in times {
            report.check(Mark::Info, name, &time::human(secs, now));
        }
    }
    Outcome::Passed
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
