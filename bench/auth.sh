#!/usr/bin/env bash
# Sign-in throughput: wrk POSTs /api/v1/auth/login (one registered user,
# rate limits off) and the figures are printed beside what the password hash
# alone allows on this machine in the same run (password_bench), since
# argon2id is by design the cost of a login.
#
#   bench/auth.sh                 # 10 s, 2 threads, 16 connections
#   BENCH_DURATION=30 bench/auth.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration="${BENCH_DURATION:-10}"
connections="${BENCH_CONNECTIONS:-16}"
bin="${EMPORIUM_BIN:-build/release/src/app/emporium}"
hash_bench=build/release/bench/cpp/password_bench
if [[ ! -x "$bin" || ! -x "$hash_bench" ]]; then
  bash scripts/build.sh release >/dev/null
fi

work=$(mktemp -d /tmp/emporium-bench-auth.XXXXXX)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(( (RANDOM % 20000) + 30000 ))
while (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn \
  "$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

body='{"email":"bench@example.com","password":"a bench passphrase","name":"Bench"}'
curl -fs -XPOST -H 'Content-Type: application/json' -d "$body" \
  "http://127.0.0.1:$port/api/v1/auth/register" >/dev/null
cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@example.com","password":"a bench passphrase"}'
LUA

echo "== password hash alone (one core) =="
"$hash_bench" --benchmark_min_time=2 2>/dev/null | grep -E '^BM_'
echo
echo "== POST /api/v1/auth/login, wrk -t2 -c$connections -d${duration}s =="
cmd="wrk -t2 -c$connections -d${duration}s --latency -s $work/login.lua http://127.0.0.1:$port/api/v1/auth/login"
echo "\$ $cmd"
out=$($cmd)
echo "$out" | grep -E 'Requests/sec|50%|99%|Non-2xx'
