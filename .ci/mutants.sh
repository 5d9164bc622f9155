#!/usr/bin/env bash
# Runs cargo-mutants (a kept tool from the Rust registry) on the files given, one at a time,
# and prints what each file's tests did with the injected bugs: caught, missed, unviable,
# timeout. Not part of CI (hundreds of rebuilds); run it when a security module or its tests
# change, and kill or explain every missed mutant.
#
#   .ci/mutants.sh crates/scopegate-core/src/dpop/nonce.rs ...          # the package's own tests
#   SUITE=1 .ci/mutants.sh crates/scopegate-core/src/jose/header.rs     # and the end-to-end suite
#   SUITE=1 FILTER=downstream .ci/mutants.sh crates/scopegate-tower/src/forward.rs
#                                         # only the tests whose names contain FILTER
#
# Results go to mutants.out/<file path with / as _>/ (outcomes.json, missed.txt, caught.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
printf '%-58s %6s %6s %8s %7s\n' file caught missed unviable timeout
for file in "$@"; do
  package="$(sed -E 's#^crates/([^/]+)/.*#\1#' <<<"$file")"
  out="mutants.out/$(tr / _ <<<"$file")"
  rm -rf "$out" && mkdir -p "$out"
  args=(--file "$file" --package "$package" --in-place --baseline skip --timeout 120 --output "$out"
        --no-shuffle --colors never)
  if [ -n "${SUITE:-}" ]; then
    args+=(--test-package "$package,scopegate-tests" -- --lib --test suite ${FILTER:-})
  else
    args+=(-- --lib ${FILTER:-})
  fi
  cargo mutants "${args[@]}" >"$out/run.log" 2>&1 || true
  python3 - "$out/mutants.out/outcomes.json" "$file" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except OSError:
    print(f"{sys.argv[2]:<58} (no outcomes: see run.log in its folder)")
    sys.exit(0)
print(f"{sys.argv[2]:<58} {data['caught']:>6} {data['missed']:>6} {data['unviable']:>8} {data['timeout']:>7}")
PY
done
