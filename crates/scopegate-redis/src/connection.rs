//! [`Redis`]: one connection to Redis (or Valkey) shared by the stores, with its namespace and
//! the time any command may take.

use std::fmt::{self, Write as _};
use std::net::IpAddr;
use std::time::Duration;

use redis::ConnectionAddr;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use scopegate_core::{Error, ErrorKind};

/// The longest namespace accepted, in bytes.
pub const MAX_NAMESPACE_BYTES: usize = 64;
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
    plaintext_allowed: bool,
}

impl RedisOptions {
    /// The options of one API's replicas: `namespace` prefixes every key name
    /// (`<namespace>:dpop:<hash>`), so that several APIs (or environments) can share one
    /// Redis. Use one namespace per API, the same on all its replicas, and never another API's
    /// (introspection answers are also bound to the issuer and client id of the API that asked,
    /// so two APIs never read each other's, whatever the namespace). ASCII letters, digits and
    /// `-`, `_`, `.`; at most 64 bytes.
    ///
    /// Defaults: 50 ms per command, 500 ms to connect, `redis://` only to loopback.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            command_timeout: DEFAULT_COMMAND_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            plaintext_allowed: false,
        }
    }

    /// Allows `redis://` (plaintext) to a host that is not loopback, and `rediss://` without
    /// certificate checks (`#insecure`). Off by default: on any other network, use `rediss://`
    /// (TLS through rustls, feature `tls`), or anyone on the path reads the hashes and can
    /// answer for Redis (see the crate docs for what that allows).
    pub fn allow_insecure_transport(mut self, allow: bool) -> Self {
        self.plaintext_allowed = allow;
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
    /// For the connections a subscription needs (one per subscriber).
    pub(crate) client: redis::Client,
    pub(crate) connect_timeout: Duration,
    pub(crate) namespace: String,
    pub(crate) command_timeout: Duration,
}

impl Redis {
    /// Connects to `url` (`redis://host:port/db`, or `rediss://` with the `tls` feature).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfiguration`] for a URL that does not parse, an invalid namespace,
    /// or plaintext to a host that is not loopback without
    /// [`allow_insecure_transport`](RedisOptions::allow_insecure_transport);
    /// [`ErrorKind::ReplayStoreUnavailable`] when Redis cannot be reached now. No message
    /// carries the URL, which may hold a password.
    pub async fn connect(url: &str, options: RedisOptions) -> Result<Self, Error> {
        let config = |message: &'static str| Error::new(ErrorKind::InvalidConfiguration, message);
        check_namespace(&options.namespace)?;
        let client =
            redis::Client::open(url).map_err(|_| config("the Redis URL does not parse"))?;
        if !options.plaintext_allowed && !is_protected(client.get_connection_info().addr()) {
            return Err(config(
                "plaintext Redis (`redis://`, or `rediss://` without certificate checks) is only \
                 allowed to loopback; use `rediss://`, or RedisOptions::allow_insecure_transport",
            ));
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.connect_timeout))
            .set_response_timeout(Some(options.command_timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let manager =
            ConnectionManager::new_with_config(client.clone(), config).await.map_err(|error| {
                tracing::warn!(kind = ?error.kind(), "cannot connect to Redis");
                Error::new(ErrorKind::ReplayStoreUnavailable, "Redis cannot be reached")
            })?;
        Ok(Self {
            manager,
            client,
            connect_timeout: options.connect_timeout,
            namespace: options.namespace,
            command_timeout: options.command_timeout,
        })
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

    /// `<namespace>:<name>`, for what is one per namespace.
    pub(crate) fn name(&self, name: &str) -> String {
        format!("{}:{name}", self.namespace)
    }

    /// Runs `command`, bounded by the command timeout.
    pub(crate) async fn run<T: redis::FromRedisValue>(
        &self,
        command: &redis::Cmd,
    ) -> Result<T, &'static str> {
        let mut connection = self.manager.clone();
        self.bounded(command.query_async(&mut connection)).await
    }

    /// Runs `pipeline`, bounded by the command timeout.
    pub(crate) async fn run_pipeline<T: redis::FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, &'static str> {
        let mut connection = self.manager.clone();
        self.bounded(pipeline.query_async(&mut connection)).await
    }

    /// The outcome of `command`, or a short reason: it failed, or took longer than the
    /// command timeout.
    pub(crate) async fn bounded<T>(
        &self,
        command: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, &'static str> {
        match tokio::time::timeout(self.command_timeout, command).await {
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

/// Whether a connection to `addr` is safe from the network: TLS with certificate checks, a
/// loopback host, or a Unix socket.
fn is_protected(addr: &ConnectionAddr) -> bool {
    match addr {
        ConnectionAddr::TcpTls { host, insecure, .. } => !insecure || is_loopback(host),
        ConnectionAddr::Tcp(host, _) => is_loopback(host),
        ConnectionAddr::Unix(_) => true,
        // Kinds of address added later: refused until known.
        _ => false,
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_namespace(namespace: &str) -> Result<(), Error> {
    let allowed = |byte: u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.');
    if namespace.is_empty()
        || namespace.len() > MAX_NAMESPACE_BYTES
        || !namespace.bytes().all(allowed)
    {
        return Err(Error::new(
            ErrorKind::InvalidConfiguration,
            "the Redis namespace must be 1 to 64 ASCII letters, digits, `-`, `_` or `.`",
        ));
    }
    Ok(())
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("namespace", &self.namespace)
            .field("command_timeout", &self.command_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str, options: RedisOptions) -> Option<String> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        match runtime.block_on(Redis::connect(url, options)) {
            Err(error) if error.kind() == ErrorKind::InvalidConfiguration => {
                Some(error.message().to_owned())
            }
            _ => None,
        }
    }

    #[test]
    fn plaintext_to_another_host_is_refused_unless_allowed_by_name() {
        for url in [
            "redis://10.0.0.5:6379",
            "redis://:password@redis.internal:6379/0",
            "redis://[2001:db8::1]:6379",
            #[cfg(feature = "tls")]
            "rediss://redis.internal:6380/#insecure",
        ] {
            let message = refusal(url, RedisOptions::new("orders")).expect(url);
            assert!(message.contains("only allowed to loopback"), "{message}");
            assert!(!message.contains("password") && !message.contains("internal"), "{message}");
        }
        // Allowed by name: the URL passes the check (and then fails to connect, quickly).
        let options = RedisOptions::new("orders")
            .allow_insecure_transport(true)
            .connect_timeout(Duration::from_millis(50));
        assert_eq!(refusal("redis://192.0.2.1:6379", options), None);
        for loopback in ["redis://127.0.0.1:1", "redis://localhost:1", "redis://[::1]:1"] {
            let options = RedisOptions::new("orders").connect_timeout(Duration::from_millis(50));
            assert_eq!(refusal(loopback, options), None, "{loopback}");
        }
    }

    #[test]
    fn a_namespace_is_required_and_plain() {
        for bad in ["", "a b", "orders:dpop", &"n".repeat(65), "ordérs"] {
            let message = refusal("redis://127.0.0.1:1", RedisOptions::new(bad)).expect(bad);
            assert!(message.contains("namespace"), "{message}");
        }
    }
}
