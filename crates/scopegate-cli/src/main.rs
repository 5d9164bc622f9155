//! `scopegate`: explain why an access token is refused, decode one, check an API's OAuth
//! metadata the way MCP clients read it. See `scopegate --help`.
//!
//! Exit codes: `0` the token passes (or the metadata lets a client log in), `1` it is refused
//! (or the metadata has a problem), `2` the command line or the input is wrong, `3` the
//! identity provider or the API could not be reached.

#![forbid(unsafe_code)]

mod cli;
mod decode;
mod explain;
mod fetch;
mod input;
mod jwt;
mod metadata;
mod report;
mod time;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::report::Report;

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The token passes; the metadata lets a client log in; the token was decoded.
    Passed = 0,
    /// The token is refused; the metadata has a problem.
    Refused = 1,
    /// The input is not what the command reads.
    BadInput = 2,
    /// The identity provider or the API could not be reached.
    Unreachable = 3,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut report = Report::stdout();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build();
    let Ok(runtime) = runtime else {
        report.problem("cannot start the async runtime");
        return ExitCode::from(Outcome::Unreachable as u8);
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Decode(args) => decode::run(&args, &mut report).await,
            Command::Explain(args) => explain::run(&args, &mut report).await,
            Command::Metadata(args) => metadata::run(&args, &mut report).await,
        }
    });
    ExitCode::from(outcome as u8)
}
