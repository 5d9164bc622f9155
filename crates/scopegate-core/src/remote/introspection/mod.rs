//! Token introspection (RFC 7662): the configuration users give, and the call.

mod call;
mod config;
mod shared;

pub use call::MAX_INTROSPECTION_BYTES;
pub(crate) use call::{Answer, Introspector, Reply, answer_from, client_form, read_answer};
pub use config::{
    ClientAuthentication, DEFAULT_INACTIVE_CACHE, DEFAULT_INTROSPECTION_CACHE,
    DEFAULT_MAX_CONCURRENT_INTROSPECTIONS, Introspection,
};
pub(crate) use shared::SharedAnswers;
pub use shared::{SharedAnswerCache, SharedCacheFuture};
