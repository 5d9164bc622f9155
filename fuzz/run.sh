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
[ "${#targets[@]}" -gt 0 ] || targets=(authorization token claims scopes jwks challenge mcp_call introspection dpop_proof)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build -s none -O
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  cp -n seeds/"$target"/* "corpus/$target/" 2>/dev/null || true
  echo "== $target (${seconds}s)"
  cargo fuzz run -s none -O "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=16384 2>&1 \
    | grep -E '^(Done|#[0-9]+ +DONE)|ERROR|panicked|SUMMARY' || true
  if ls "artifacts/$target"/crash-* >/dev/null 2>&1; then
    echo "crash in $target: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
