//! The outcome of [`Verifier::verify_now`](crate::Verifier::verify_now): ready, or waiting for
//! keys.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::claims::Claims;
use crate::error::Error;

/// The outcome of [`Verifier::verify_now`](crate::Verifier::verify_now).
#[derive(Debug)]
pub enum Verification {
    /// Verification finished.
    Ready(Result<Claims, Error>),
    /// Verification waits for the issuer's keys to be fetched; await this to finish it.
    Pending(PendingVerification),
}

impl Verification {
    /// The result, if verification finished without waiting.
    pub fn into_ready(self) -> Option<Result<Claims, Error>> {
        match self {
            Self::Ready(result) => Some(result),
            Self::Pending(_) => None,
        }
    }
}

/// A verification that waits for keys to be fetched. Finishes within the fetch timeout.
pub struct PendingVerification {
    future: Pin<Box<dyn Future<Output = Result<Claims, Error>> + Send + 'static>>,
}

impl PendingVerification {
    #[cfg(feature = "remote")]
    pub(crate) fn new(
        future: impl Future<Output = Result<Claims, Error>> + Send + 'static,
    ) -> Self {
        Self { future: Box::pin(future) }
    }
}

impl Future for PendingVerification {
    type Output = Result<Claims, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.future.as_mut().poll(cx)
    }
}

impl fmt::Debug for PendingVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingVerification").finish_non_exhaustive()
    }
}
