#!/usr/bin/env bash
# cargo-mutants on chosen files of the security-critical modules, with the tests that guard
# them (the crate's own and the end-to-end suite, filtered). Not part of CI: each mutant
# rebuilds the test binaries (about half a minute on 2 cores).
#
#   .ci/mutants.sh crates/scopegate-mcp/src/owned.rs mcp owned
#     the file(s) to mutate, then the test-name filters (after the last file)
#
# Install once: cargo install cargo-mutants --locked
set -euo pipefail
cd "$(dirname "$0")/.."
files=() filters=()
for argument in "$@"; do
  if [ -f "$argument" ]; then files+=(-f "$argument"); else filters+=("$argument"); fi
done
[ "${#files[@]}" -gt 0 ] || { echo "usage: $0 FILE... [TEST-FILTER...]" >&2; exit 2; }
# The package of the first file: the nearest Cargo.toml above it.
dir="$(dirname "${files[1]}")"
while [ ! -f "$dir/Cargo.toml" ] && [ "$dir" != . ]; do dir="$(dirname "$dir")"; done
package="$(sed -n 's/^name = "\(.*\)"/\1/p' "$dir/Cargo.toml" | head -1)"
# In place: the workspace's own target directory is reused; the mutated file is restored.
exec cargo mutants --in-place "${files[@]}" \
  --test-package "$package" --test-package scopegate-tests -- -- "${filters[@]}"
