#!/usr/bin/env bash
# Loopback load benchmark of examples/orders-api (127.0.0.1 only, bounded time).
#
#   crates/scopegate-bench/load.sh [seconds per run, default 10] [rounds, default 3]
#
# Runs wrk (installed from Debian's packages if missing) against the orders-api app served by
# the `loadserver` binary: /health without a token and with the same 650-byte Authorization
# header /orders gets (so that header transfer and parsing cost the same), /orders with one
# valid token (cache on and off), and /orders cycling through 10,000 distinct tokens, with
# /health cycling through the same headers: what wrk's Lua rotation allows at all. The server is pinned to
# CPU 0 with one worker thread and wrk to CPU 1 when there are two CPUs. The scenarios run in
# turn, round after round, and each figure is the median over the rounds: shared machines are
# noisy. Reports requests per second, server CPU time per request, and the server's peak
# resident memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
rounds="${2:-3}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi
cargo build --release -q -p scopegate-bench --bin loadserver
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
pin_server=""; pin_client=""
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then pin_server="taskset -c 0"; pin_client="taskset -c 1"; fi
ticks="$(getconf CLK_TCK)"

cat >"$work/rotate.lua" <<'LUA'
local tokens = {}
for line in io.lines(os.getenv("TOKENS_FILE")) do tokens[#tokens + 1] = line end
local index = 0
request = function()
  index = index % #tokens + 1
  return wrk.format("GET", os.getenv("TARGET_PATH"), { ["Authorization"] = "Bearer " .. tokens[index] })
end
LUA

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run <label> <path> <cache on|off> <token count> <mode: none|one|rotate>
run() {
  local label="$1" path="$2" cache="$3" count="$4" mode="$5"
  local port=$((20000 + RANDOM % 20000))
  $pin_server ./target/release/loadserver "127.0.0.1:$port" "$work/tokens" "$count" "$cache" >"$work/server.out" &
  local server=$!
  for _ in $(seq 1 600); do grep -q '^ready' "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  local -a extra=()
  case "$mode" in
    one) extra=(-H "Authorization: Bearer $(head -n 1 "$work/tokens")") ;;
    rotate) extra=(-s "$work/rotate.lua") ;;
  esac
  local url="http://127.0.0.1:$port$path"
  # A short warm-up (connections, caches), not measured.
  TOKENS_FILE="$work/tokens" TARGET_PATH="$path" $pin_client wrk -t1 -c32 -d2s "${extra[@]}" "$url" >/dev/null
  local before; before="$(cpu_ticks "$server")"
  local output; output="$(TOKENS_FILE="$work/tokens" TARGET_PATH="$path" $pin_client wrk -t1 -c32 -d"${seconds}s" "${extra[@]}" "$url")"
  local after; after="$(cpu_ticks "$server")"
  local requests; requests="$(printf '%s\n' "$output" | awk '/requests in/ { print $1 }')"
  local rps; rps="$(printf '%s\n' "$output" | awk '/Requests\/sec/ { print $2 }')"
  local non2xx; non2xx="$(printf '%s\n' "$output" | awk '/Non-2xx/ { print $NF }')"
  local peak; peak="$(awk '/VmHWM/ { print $2 }' "/proc/$server/status")"
  local cpu_us; cpu_us="$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$requests" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$rps" "$cpu_us" "$((peak / 1024))" "${non2xx:-0}" >>"$work/results"
  kill "$server"; wait "$server" 2>/dev/null || true
}

scenarios=(
  "/health, no token|/health|on|1|none"
  "/health, same Authorization header (not checked)|/health|on|1|one"
  "/orders, one token, cache on|/orders|on|1|one"
  "/orders, one token, cache off|/orders|off|1|one"
  "/orders, 10,000 tokens, cache on|/orders|on|10000|rotate"
  "/health, the same 10,000 rotating headers (the Lua client's ceiling)|/health|on|10000|rotate"
)
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  for scenario in "${scenarios[@]}"; do
    IFS='|' read -r label path cache count mode <<<"$scenario"
    run "$label" "$path" "$cache" "$count" "$mode"
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "| run (${seconds}s x ${rounds} rounds, 32 connections, medians) | req/s | server CPU µs/request | peak RSS | non-2xx |"
echo "|---|---|---|---|---|"
for scenario in "${scenarios[@]}"; do
  label="${scenario%%|*}"
  rows="$(awk -F'\t' -v l="$label" '$1 == l' "$work/results")"
  rps="$(printf '%s\n' "$rows" | cut -f2 | median)"
  cpu="$(printf '%s\n' "$rows" | cut -f3 | median)"
  peak="$(printf '%s\n' "$rows" | cut -f4 | sort -g | tail -n 1)"
  errors="$(printf '%s\n' "$rows" | cut -f5 | awk '{ s += $1 } END { print s }')"
  printf '| %s | %.0f | %s | %s MiB | %s |\n' "$label" "$rps" "$cpu" "$peak" "$errors"
done
