//! Token introspection (RFC 7662): the configuration users give, and the call.

mod call;
mod config;

pub use call::MAX_INTROSPECTION_BYTES;
#[cfg(any(fuzzing, test))]
pub(crate) use call::read_answer;
pub(crate) use call::{Answer, Introspector};
pub use config::{
    ClientAuthentication, DEFAULT_INACTIVE_CACHE, DEFAULT_INTROSPECTION_CACHE,
    DEFAULT_MAX_CONCURRENT_INTROSPECTIONS, Introspection,
};
