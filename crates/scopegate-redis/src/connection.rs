//! [`Redis`]: one connection to Redis (or Valkey) shared by the stores, with its namespace and
//! the time any command may take.

use std::fmt::{self, Write as _};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use scopegate_core::{Error, ErrorKind};

/// The namespace of key names unless [`RedisOptions::namespace`] says otherwise.
pub const DEFAULT_NAMESPACE: &str = "scopegate";
/// How long one command may take before it counts as a failure.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_millis(50);
/// How long connecting (or reconnecting) may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// How to talk to Redis.
#[derive(Clone, Debug)]
#[must_use]
pub struct RedisOptions {
    namespace: String,
    command_timeout: Duration,
    connect_timeout: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

impl RedisOptions {
    /// The defaults: namespace `scopegate`, 50 ms per command, 500 ms to connect.
    pub fn new() -> Self {
        Self::default()
    }

    /// The prefix of every key name (`<namespace>:dpop:<hash>`), so that several APIs (or
    /// environments) can share one Redis. Use one namespace per API: replicas of one API share
    /// it, other APIs do not.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// How long one command may take; a slower one counts as a failure (the failure policy
    /// decides what happens). Defaults to 50 ms: Redis on the same network answers in well
    /// under a millisecond.
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// How long connecting, and each reconnection attempt, may take. Defaults to 500 ms.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

/// A connection to Redis, cheap to clone: the stores built on it share it. It reconnects on
/// its own after Redis restarts or the network fails; commands meanwhile fail (quickly) and
/// count as failures.
#[derive(Clone)]
pub struct Redis {
    pub(crate) manager: ConnectionManager,
    pub(crate) namespace: String,
    pub(crate) command_timeout: Duration,
}

impl Redis {
    /// Connects to `url` (`redis://host:port/db`, or `rediss://` with the `tls` feature).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a URL that does not parse, and
    /// [`ErrorKind::ReplayStoreUnavailable`] when Redis cannot be reached now. Neither message
    /// carries the URL, which may hold a password.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let client = redis::Client::open(url).map_err(|_| {
            Error::new(ErrorKind::InvalidConfiguration, "the Redis URL does not parse")
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let manager =
            ConnectionManager::new_with_config(client, config).await.map_err(|error| {
                tracing::warn!(kind = ?error.kind(), "cannot connect to Redis");
                Error::new(ErrorKind::ReplayStoreUnavailable, "Redis cannot be reached")
            })?;
        Ok(Self { manager, namespace: options.namespace, command_timeout: options.command_timeout })
    }

    /// `<namespace>:<kind>:<hex>`: names carry hashes only.
    pub(crate) fn key(&self, kind: &str, hash: &[u8; 32]) -> String {
        let mut key = String::with_capacity(self.namespace.len() + kind.len() + 66);
        key.push_str(&self.namespace);
        key.push(':');
        key.push_str(kind);
        key.push(':');
        for byte in hash {
            let _ = write!(key, "{byte:02x}");
        }
        key
    }

    /// Runs `command`, bounded by the command timeout.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, &'static str> {
        let mut connection = self.manager.clone();
        match tokio::time::timeout(self.command_timeout, command.query_async(&mut connection)).await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_timeout() => Err("timed out"),
            Ok(Err(error)) if error.is_io_error() || error.is_connection_dropped() => {
                Err("unreachable")
            }
            Ok(Err(_)) => Err("refused the command"),
            Err(_) => Err("timed out"),
        }
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("namespace", &self.namespace)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}
