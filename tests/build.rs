//! Sets `cfg(redis_server)` when `redis-server` is on the `PATH`: the Redis tests then run;
//! without it they are reported as ignored ("needs redis-server"), never as passed. `.ci/run`
//! installs it, so CI always runs them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(redis_server)");
    println!("cargo::rerun-if-env-changed=PATH");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut found = false;
    for dir in std::env::split_paths(&path) {
        // Installing the package changes the directory, so the check runs again.
        if dir.is_dir() {
            println!("cargo::rerun-if-changed={}", dir.display());
        }
        found |= dir.join("redis-server").is_file();
    }
    if found {
        println!("cargo::rustc-cfg=redis_server");
    }
}
