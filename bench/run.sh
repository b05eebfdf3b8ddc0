#!/usr/bin/env bash
# HTTP benchmark: Emporium against nginx serving the very same bytes.
#
#   bench/run.sh [ROUTE...]        # default routes: /healthz /api/v1
#
# For each ROUTE it fetches Emporium's response body and Content-Type, has a
# private nginx serve those bytes as a static file with that Content-Type,
# then runs `wrk --latency` against each server in turn, BENCH_RUNS times,
# and prints (and writes to bench/results/) medians of req/s, p50 and p99,
# and the ratio Emporium/nginx. Client and servers share this machine's
# cores, so only the ratio travels between machines. See bench/README.md.
#
# Settings (environment):
#   BENCH_DURATION=10      seconds per wrk run
#   BENCH_RUNS=3           runs per route and server (medians are reported)
#   BENCH_THREADS=2        wrk -t
#   BENCH_CONNECTIONS=64   wrk -c
#   BENCH_WARMUP=2         seconds of unmeasured wrk per route and server (0: none)
#   BENCH_SELF_TEST=1      no Emporium: a second nginx stands in for it, with
#                          made-up bodies (proves the harness, not the shop)
#   BENCH_KEEP=1           keep the temporary directory (configs, logs)
#   EMPORIUM_BIN           binary to run (build/release/src/app/emporium;
#                          built with scripts/build.sh release if missing)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

DURATION="${BENCH_DURATION:-10}"
RUNS="${BENCH_RUNS:-3}"
THREADS="${BENCH_THREADS:-2}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
WARMUP="${BENCH_WARMUP:-2}"
SELF_TEST="${BENCH_SELF_TEST:-0}"
BIN="${EMPORIUM_BIN:-build/release/src/app/emporium}"

routes=("$@")
((${#routes[@]})) || routes=(/healthz /api/v1)


for tool in wrk curl nginx ss; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/install-deps.sh)"
done
for route in "${routes[@]}"; do
  # Routes become nginx map keys and file names: keep them plain.
  [[ "$route" =~ ^/[A-Za-z0-9/._~%?\&=+,:@-]*$ ]] || die "unsupported route: $route"
done

if [[ "$SELF_TEST" != 1 && ! -x "$BIN" ]]; then
  log "$BIN missing; building release"
  bash scripts/build.sh release
fi

work="$(mktemp -d /tmp/emporium-bench.XXXXXX)"
# nginx workers run as an unprivileged user and must read the files.
chmod 755 "$work"

pids=()
cleanup() {
  local status=$? pid
  trap '' INT TERM
  trap - EXIT
  # SIGTERM: Emporium exits gracefully, nginx does a fast shutdown.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ "${BENCH_KEEP:-0}" == 1 || $status -ne 0 ]]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM



# write_nginx_conf DIR PORT ROUTE-MAP-FILE TYPES-FILE: a stock nginx, tuned
# only as the comparison needs (no access log, keep-alive that lasts the run).
write_nginx_conf() {
  local dir="$1" port="$2"
  mkdir -p "$dir/html" "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  keepalive_timeout 75s;
  sendfile on;
  # Cache open file descriptors: the strongest static baseline, no open()/close() per request.
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  tcp_nopush on;
  tcp_nodelay on;
  server_tokens off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  # One file per route; its extension selects the Content-Type recorded
  # from Emporium.
  types {
$(cat "$4")
  }
  default_type application/octet-stream;
  # The exact request URI (query included) picks the file.
  map \$request_uri \$bench_file {
$(cat "$3")
  }
  server {
    listen 127.0.0.1:$port;
    root $dir/html;
    location / { try_files \$bench_file =404; }
  }
}
EOF
}

# start_nginx NAME DIR PORT: starts it in the background; appends its pid.
start_nginx() {
  local name="$1" dir="$2" port="$3"
  # Workers run as an unprivileged user (nobody) when started as root.
  chmod -R a+rX "$dir"
  nginx -t -q -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>"$dir/check.log" || {
    cat "$dir/check.log" >&2
    die "$name: bad nginx config ($dir/nginx.conf)"
  }
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 </dev/null &
  pids+=($!)
  NGINX_CMD="nginx -p $dir -c $dir/nginx.conf -e $dir/error.log"
  wait_http "$name" "http://127.0.0.1:$port${routes[0]}" "$!" "$dir/error.log"
}

# --- the "Emporium" side ------------------------------------------------------

pick_port 18080 A_PORT
pick_port 18180 B_PORT
A_URL="http://127.0.0.1:$A_PORT"
B_URL="http://127.0.0.1:$B_PORT"

if [[ "$SELF_TEST" == 1 ]]; then
  A_NAME="nginx-A"
  # Made-up bodies: the health answer, and ~1 KB of JSON for anything else.
  : >"$work/a-map" && : >"$work/a-types"
  mkdir -p "$work/a/html"
  for i in "${!routes[@]}"; do
    if [[ "${routes[i]}" == /healthz ]]; then
      printf '{"status":"ok"}' >"$work/a/html/r$i.t$i"
    else
      {
        printf '{"name":"emporium","route":"%s","items":[' "${routes[i]}"
        for n in $(seq 0 24); do
          ((n == 0)) || printf ','
          printf '{"id":"%04d","title":"Item number %d"}' "$n" "$n"
        done
        printf ']}'
      } >"$work/a/html/r$i.t$i"
    fi
    printf '    "%s" /r%d.t%d;\n' "${routes[i]}" "$i" "$i" >>"$work/a-map"
    printf '    application/json t%d;\n' "$i" >>"$work/a-types"
  done
  write_nginx_conf "$work/a" "$A_PORT" "$work/a-map" "$work/a-types"
  start_nginx "$A_NAME" "$work/a" "$A_PORT"
  A_CMD="$NGINX_CMD"
else
  A_NAME="emporium"
  mkdir -p "$work/emporium-data"
  A_CMD="EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn $BIN serve --listen 127.0.0.1:$A_PORT --data-dir $work/emporium-data"
  EMPORIUM_RATE_LIMITS=off EMPORIUM_ACCESS_LOG=off EMPORIUM_LOG_LEVEL=warn \
    "$BIN" serve --listen "127.0.0.1:$A_PORT" --data-dir "$work/emporium-data" \
    >"$work/emporium.log" 2>&1 </dev/null &
  pids+=($!)
  wait_http emporium "$A_URL/healthz" "$!" "$work/emporium.log"
fi

# --- nginx with the same bytes ----------------------------------------------

: >"$work/b-map" && : >"$work/b-types"
mkdir -p "$work/b/html"
declare -a sizes
for i in "${!routes[@]}"; do
  file="$work/b/html/r$i.t$i"
  meta="$(curl -sS -o "$file" -w '%{http_code} %{content_type}' "$A_URL${routes[i]}")" ||
    die "could not fetch $A_URL${routes[i]}"
  code="${meta%% *}"
  ctype="${meta#* }"
  [[ "$code" == 200 ]] || die "$A_NAME answered ${routes[i]} with $code, not 200: nothing to compare"
  [[ -n "$ctype" && "$ctype" != *'"'* ]] || die "${routes[i]}: unusable Content-Type '$ctype'"
  chmod 644 "$file"
  sizes[i]="$(stat -c %s "$file")"
  printf '    "%s" /r%d.t%d;\n' "${routes[i]}" "$i" "$i" >>"$work/b-map"
  printf '    "%s" t%d;\n' "$ctype" "$i" >>"$work/b-types"
  log "${routes[i]}: ${sizes[i]} bytes, $ctype"
done
write_nginx_conf "$work/b" "$B_PORT" "$work/b-map" "$work/b-types"
start_nginx nginx "$work/b" "$B_PORT"
B_CMD="$NGINX_CMD"

# Same bytes and Content-Type from both, or the comparison is void.
for i in "${!routes[@]}"; do
  curl -sS -o "$work/check-a" -D "$work/check-a.h" "$A_URL${routes[i]}"
  curl -sS -o "$work/check-b" -D "$work/check-b.h" "$B_URL${routes[i]}"
  cmp -s "$work/check-a" "$work/check-b" || log "warning: ${routes[i]}: bodies differ between runs (dynamic content?)"
  ta="$(grep -i '^content-type:' "$work/check-a.h" | tr -d '\r')"
  tb="$(grep -i '^content-type:' "$work/check-b.h" | tr -d '\r')"
  [[ "${ta,,}" == "${tb,,}" ]] || die "${routes[i]}: Content-Type differs: '$ta' vs '$tb'"
done

# --- measure -----------------------------------------------------------------

WRK=(wrk "-t$THREADS" "-c$CONNECTIONS" "-d${DURATION}s" --latency)



# run_wrk URL OUT: one measured run; parsed numbers appended to OUT.
run_wrk() {
  local raw="$work/wrk.out" parsed rps p50 p99 bad
  "${WRK[@]}" "$1" >"$raw" 2>&1 || {
    cat "$raw" >&2
    die "wrk failed against $1"
  }
  parsed="$(parse_wrk "$raw")" || {
    cat "$raw" >&2
    die "could not parse wrk's output for $1"
  }
  echo "$parsed" >>"$2"
  read -r rps p50 p99 bad <<<"$parsed"
  if ((bad)); then log "warning: $1: $bad non-2xx/3xx responses or socket errors"; fi
  log "  $(printf '%-9s' "$3") $(printf '%10.0f req/s  p50 %7.3f ms  p99 %7.3f ms' "$rps" "$p50" "$p99")"
}

total=$((${#routes[@]} * 2 * (RUNS * DURATION + (WARMUP > 0 ? WARMUP : 0))))
log "$A_NAME on $A_URL, nginx on $B_URL; ${#routes[@]} route(s) x $RUNS run(s) x 2 servers x ${DURATION}s (about ${total}s)"

rows=()
details=()
for i in "${!routes[@]}"; do
  route="${routes[i]}"
  log "$route"
  if ((WARMUP > 0)); then
    wrk "-t$THREADS" "-c$CONNECTIONS" "-d${WARMUP}s" "$A_URL$route" >/dev/null 2>&1 || true
    wrk "-t$THREADS" "-c$CONNECTIONS" "-d${WARMUP}s" "$B_URL$route" >/dev/null 2>&1 || true
  fi
  : >"$work/a.runs" && : >"$work/b.runs"
  # Alternate the two servers, so that drift on the machine hits both alike.
  for _ in $(seq "$RUNS"); do
    run_wrk "$A_URL$route" "$work/a.runs" "$A_NAME"
    run_wrk "$B_URL$route" "$work/b.runs" nginx
  done
  # shellcheck disable=SC2046  # one number per word
  {
    a_rps="$(median $(cut -d' ' -f1 "$work/a.runs"))"
    a_p50="$(median $(cut -d' ' -f2 "$work/a.runs"))"
    a_p99="$(median $(cut -d' ' -f3 "$work/a.runs"))"
    b_rps="$(median $(cut -d' ' -f1 "$work/b.runs"))"
    b_p50="$(median $(cut -d' ' -f2 "$work/b.runs"))"
    b_p99="$(median $(cut -d' ' -f3 "$work/b.runs"))"
  }
  a_bad="$(awk '{ s += $4 } END { print s + 0 }' "$work/a.runs")"
  b_bad="$(awk '{ s += $4 } END { print s + 0 }' "$work/b.runs")"
  ratio="$(awk -v a="$a_rps" -v b="$b_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
  rows+=("$route|${sizes[i]}|$a_rps|$a_p50|$a_p99|$b_rps|$b_p50|$b_p99|$ratio|$a_bad|$b_bad")
  details+=("$route|$(tr '\n' ';' <"$work/a.runs")|$(tr '\n' ';' <"$work/b.runs")")
done

# --- report ------------------------------------------------------------------

{
  printf '%-24s %7s | %10s %8s %8s | %10s %8s %8s | %6s\n' \
    route bytes "$A_NAME r/s" p50ms p99ms "nginx r/s" p50ms p99ms ratio
  for row in "${rows[@]}"; do
    IFS='|' read -r route bytes ar ap5 ap9 br bp5 bp9 ratio abad bbad <<<"$row"
    flag=""
    ((abad + bbad == 0)) || flag="  (errors: $A_NAME $abad, nginx $bbad)"
    printf '%-24s %7s | %10.0f %8.3f %8.3f | %10.0f %8.3f %8.3f | %6s%s\n' \
      "$route" "$bytes" "$ar" "$ap5" "$ap9" "$br" "$bp5" "$bp9" "$ratio" "$flag"
  done
} | tee "$work/table.txt"

wrk_cmd="${WRK[*]} URL"
echo
echo "commands:"
echo "  $A_NAME: $A_CMD"
echo "  nginx:    $B_CMD"
echo "  load:     $wrk_cmd  (x$RUNS per route and server, alternating; medians)"

mkdir -p bench/results
stamp="$(date -u +%Y-%m-%d-%H%M%S)"
suffix=""
[[ "$SELF_TEST" != 1 ]] || suffix="-selftest"
out="bench/results/$stamp-http$suffix.md"
commit="$(git rev-parse --short HEAD 2>/dev/null || echo none)"
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
{
  echo "# HTTP: $A_NAME vs nginx, same bytes ($stamp UTC)"
  echo
  [[ "$SELF_TEST" != 1 ]] || echo "**Self-test**: the \"$A_NAME\" side is a second nginx, not Emporium."
  echo
  echo "- commit: $commit"
  echo "- machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
  echo "- load: \`$wrk_cmd\`, $RUNS runs per route and server, alternating, ${WARMUP}s warm-up each; client and servers on the same cores"
  echo "- nginx $(nginx -v 2>&1 | sed 's|.*/||'), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
  echo
  echo "Medians; latencies in ms; ratio = $A_NAME req/s / nginx req/s."
  echo
  echo "| route | bytes | $A_NAME req/s | p50 | p99 | nginx req/s | p50 | p99 | ratio |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for row in "${rows[@]}"; do
    IFS='|' read -r route bytes ar ap5 ap9 br bp5 bp9 ratio abad bbad <<<"$row"
    printf '| `%s` | %s | %.0f | %.3f | %.3f | %.0f | %.3f | %.3f | %s |\n' \
      "$route" "$bytes" "$ar" "$ap5" "$ap9" "$br" "$bp5" "$bp9" "$ratio"
    ((abad + bbad == 0)) || echo "| ^ errors | | $abad | | | $bbad | | | |"
  done
  echo
  echo "Each run (req/s p50 p99 errors):"
  echo
  for d in "${details[@]}"; do
    IFS='|' read -r route a b <<<"$d"
    echo "- \`$route\`: $A_NAME \`${a%;}\`; nginx \`${b%;}\`"
  done
  echo
  echo "## Commands"
  echo
  echo '```'
  echo "$A_CMD"
  echo "$B_CMD"
  echo "$wrk_cmd"
  echo '```'
  echo
  echo "nginx.conf (nginx side):"
  echo
  echo '```nginx'
  cat "$work/b/nginx.conf"
  echo '```'
} >"$out"
echo "results: $out"
