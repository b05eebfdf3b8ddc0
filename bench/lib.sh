# Shared by the bench scripts: logging, ports, readiness, wrk output.
# Source it after `set -euo pipefail`.

log() { echo "bench: $*" >&2; }
die() {
  log "$*"
  exit 1
}

ALLOCATED=" "
# pick_port BASE VAR: first port >= BASE that nothing listens on.
pick_port() {
  local port="$1"
  while [[ "$ALLOCATED" == *" $port "* ]] || [[ -n "$(ss -Hltn "sport = :$port")" ]]; do
    port=$((port + 1))
    ((port < $1 + 500)) || die "no free port near $1"
  done
  ALLOCATED+="$port "
  printf -v "$2" '%s' "$port"
}

# pick_range BASE COUNT VAR: first port >= BASE such that it and the COUNT - 1
# after it are all free (for programs that number their listeners from one
# base port, such as scripts/cluster).
pick_range() {
  local port="$1" i
  while :; do
    for ((i = 0; i < $2; i++)); do
      if [[ "$ALLOCATED" == *" $((port + i)) "* ]] || [[ -n "$(ss -Hltn "sport = :$((port + i))")" ]]; then
        break
      fi
    done
    ((i == $2)) && break
    port=$((port + i + 1))
    ((port < $1 + 500)) || die "no $2 free ports in a row near $1"
  done
  for ((i = 0; i < $2; i++)); do ALLOCATED+="$((port + i)) "; done
  printf -v "$3" '%s' "$port"
}

# wait_http NAME URL PID LOG: until URL answers, or fail showing LOG.
wait_http() {
  local deadline=$((SECONDS + 30))
  until curl -fsS -o /dev/null --max-time 2 "$2" 2>/dev/null; do
    if ! kill -0 "$3" 2>/dev/null; then
      tail -n 20 "$4" >&2 || true
      die "$1 exited during startup (log: $4)"
    fi
    ((SECONDS < deadline)) || {
      tail -n 20 "$4" >&2 || true
      die "$1 did not answer $2 within 30s"
    }
    sleep 0.2
  done
}

# parse_wrk FILE: prints "req/s p50_ms p99_ms bad", bad = non-2xx/3xx
# responses plus socket errors.
parse_wrk() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/)  return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx or 3xx responses:/ { bad += $NF }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) bad += $i + 0 }
    END {
      if (rps == "") exit 1
      printf "%.2f %.3f %.3f %d\n", rps, p50, p99, bad
    }' "$1"
}

median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
