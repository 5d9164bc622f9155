//! The command line.

use clap::{Args, Parser, Subcommand};

/// Why is my token refused? Explain an access token against its issuer, decode one, or check
/// an API's OAuth metadata.
#[derive(Debug, Parser)]
#[command(name = "scopegate", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs every check an API protected by scopegate (default claim mapping) runs, in order,
    /// against the real issuer,
    /// and prints the answer it would give. The token goes nowhere.
    Explain(ExplainArgs),
    /// Prints a token's header and claims. NOT VERIFIED: anyone can write a token that
    /// decodes.
    Decode(DecodeArgs),
    /// Fetches an API's protected resource metadata (RFC 9728) and the authorization servers'
    /// metadata it names (RFC 8414), and checks what an MCP client needs to log in.
    Metadata(MetadataArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The access token, or `-` to read it from standard input.
    pub(crate) token: String,
    /// The issuer the API trusts (`iss`), whose discovery document names its keys.
    #[arg(long)]
    pub(crate) issuer: String,
    /// The audience the API requires (`aud`).
    #[arg(long)]
    pub(crate) audience: String,
    /// The JWKS URL, instead of discovery.
    #[arg(long, value_name = "URL")]
    pub(crate) jwks_uri: Option<String>,
    /// A scope the route requires (repeat for several; all are required).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub(crate) scopes: Vec<String>,
    /// A role the route requires (repeat for several; all are required).
    #[arg(long = "role", value_name = "ROLE")]
    pub(crate) roles: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The token, or `-` to read it from standard input.
    pub(crate) token: String,
}

#[derive(Debug, Args)]
pub(crate) struct MetadataArgs {
    /// The API's URL (`https://api.example.com/mcp`), or its metadata URL
    /// (`https://api.example.com/.well-known/oauth-protected-resource/mcp`).
    pub(crate) url: String,
}
