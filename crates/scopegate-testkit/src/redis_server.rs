//! A real `redis-server` for tests of shared state (`scopegate-redis`): started on a free
//! loopback port with no persistence, killed when dropped, restartable on the same port.
//! Needs the `redis-server` binary (Debian's `redis-server` package) on the `PATH`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` process.
///
/// ```no_run
/// let mut redis = scopegate_testkit::RedisServer::start();
/// println!("connect to {}", redis.url());
/// redis.kill(); // as a crash would
/// redis.restart(); // empty, same port
/// ```
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts `redis-server` on a free port and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// If `redis-server` cannot be started or does not listen within 5 seconds.
    #[allow(clippy::expect_used)]
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self { port, child: None };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would: no shutdown, no save).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port, empty; waits until it listens.
    ///
    /// # Panics
    ///
    /// If it cannot be started or does not listen within 5 seconds.
    #[allow(clippy::expect_used, clippy::panic)]
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (install the redis-server package)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen within 5 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
