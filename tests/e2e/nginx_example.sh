#!/usr/bin/env bash
# Runs deploy/nginx/emporium.conf, as shipped, in front of a real shop: the
# example must pass `nginx -t` and do what its comments promise. Only what a
# private run needs is rewritten: the upstream list (this shop's port), the
# listen address (a unix socket, so no TCP port is picked and released) and
# the log paths.
#
#   tests/e2e/nginx_example.sh EMPORIUM_BINARY deploy/nginx/emporium.conf
#
# Without nginx the run is skipped (exit 77), or fails when
# EMPORIUM_REQUIRE_SERVERS=1 (CI installs it: scripts/install-deps.sh).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/start_shop.sh"

binary=$1
example=$2
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[[ -x $nginx_bin ]] || skip_unless_installed nginx_example nginx-light

work=$(mktemp -d /tmp/emporium-nginx-XXXXXX)
chmod 755 "$work"  # nginx's workers (user nobody when run as root) reach the socket
server=
nginx_pid=
cleanup() {
  [[ -n $nginx_pid ]] && kill -TERM "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  if [[ -n $server ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "nginx_example: $*" >&2
  echo "--- nginx error log:" >&2
  cat "$work/error.log" "$work/emporium.error.log" 2>/dev/null >&2 || true
  exit 1
}

export EMPORIUM_DATA_DIR=$work/data EMPORIUM_ACCESS_LOG=false EMPORIUM_LOG_LEVEL=warn
start_shop "$binary" "$work" || fail "the shop did not start"

# The example's server block, pointed at this shop and this folder.
sock=$work/nginx.sock
awk -v port="$port" -v sock="$sock" -v dir="$work" '
  /^ *server 127\.0\.0\.1:808[0-9]/ { if (!done++) print "    server 127.0.0.1:" port " max_fails=3 fail_timeout=10s;"; next }
  /^ *listen \[::\]:80;/ { next }
  /^ *listen 80;/ { print "    listen unix:" sock ";"; next }
  { gsub("/var/log/nginx/", dir "/"); print }
' "$example" > "$work/emporium.conf"
cat > "$work/nginx.conf" <<CONF
daemon off;
pid $work/nginx.pid;
error_log $work/error.log warn;
worker_processes 1;
events { worker_connections 256; }
http {
  client_body_temp_path $work/client_body;
  proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi;
  uwsgi_temp_path $work/uwsgi;
  scgi_temp_path $work/scgi;
  include $work/emporium.conf;
}
CONF
"$nginx_bin" -t -q -p "$work" -c "$work/nginx.conf" 2> "$work/nginx-t.log" ||
  { cat "$work/nginx-t.log" >&2; fail "the example does not pass nginx -t"; }
"$nginx_bin" -p "$work" -c "$work/nginx.conf" 2>> "$work/error.log" &
nginx_pid=$!
for _ in $(seq 100); do
  [[ -S $sock ]] && break
  sleep 0.05
done
[[ -S $sock ]] || fail "nginx did not listen on $sock"

# status PATH [curl args...]: the HTTP status nginx answers.
status() {
  local path=$1
  shift
  curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' --unix-socket "$sock" \
    "$@" "http://shop.example.com$path"
}
expect() {
  local want=$1 got
  shift
  got=$(status "$@")
  [[ $got == "$want" ]] || fail "$* -> HTTP $got, expected $want: $(head -c 300 "$work/body")"
}

expect 200 /api/v1/categories
expect 200 /healthz
expect 200 /readyz
# The card sandbox is never proxied, whatever the path below it.
expect 404 /sandbox/v1/charges
expect 404 /sandbox/v1/control -X POST -H 'Content-Type: application/json' -d '{"fail_rate":1}'
# Metrics are for the monitoring network only (a unix-socket client is not loopback).
expect 403 /metrics
# Bodies over 1 MiB stop at nginx.
head -c 1100000 /dev/zero | tr '\0' 'a' > "$work/big"
expect 413 /api/v1/auth/register -X POST -H 'Content-Type: application/json' \
  --data-binary "@$work/big"
# A request id goes through both ways; one is made when the client sends none.
expect 200 /api/v1/categories -H 'X-Request-Id: nginx-example-1'
grep -qi '^x-request-id: nginx-example-1' "$work/headers" || fail "X-Request-Id not passed through"
expect 200 /api/v1/categories
grep -qi '^x-request-id: [0-9a-f]\{32\}' "$work/headers" || fail "nginx made no X-Request-Id"
# nginx's access log carries the same id.
grep -q 'rid=nginx-example-1' "$work/emporium.access.log" || fail "the access log lacks the request id"
# The /sandbox answers came from nginx itself: no upstream was asked (an old
# instance that still routed /sandbox would otherwise answer).
for path in "GET /sandbox/v1/charges" "POST /sandbox/v1/control"; do
  grep -E "\"$path [^\"]*\" 404 [0-9]+ [0-9.]+ - - rid=" "$work/emporium.access.log" > /dev/null ||
    fail "$path was proxied: $(grep -F "$path" "$work/emporium.access.log")"
done
echo "nginx_example: the example config passes nginx -t and proxies as documented"
