#!/usr/bin/env bash
# Runs every fuzz target for the given number of seconds (default 20), starting from the
# checked-in seeds, and fails on the first crash. Works on stable Rust (no sanitizer; see
# README.md).
#
#   fuzz/run.sh [seconds per target] [target...]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-20}"; shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(authorization token claims scopes jwks challenge mcp_call mcp_listing mcp_task_watch resource_uri introspection dpop_proof client_cert signed_introspection tenant security_event revocation_record)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build -s none -O
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  echo "== $target (${seconds}s)"
  log="$(mktemp)"
  # cargo-fuzz's own exit status decides: a crash, a leak, an out-of-memory, a timeout or a
  # target that does not start all fail the run.
  status=0
  cargo fuzz run -s none -O "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=16384 \
    >"$log" 2>&1 || status=$?
  grep -E '^(Done|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY' "$log" || true
  if [ "$status" -ne 0 ] || ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    tail -20 "$log" >&2
    echo "$target failed (exit $status): see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
