#!/usr/bin/env bash
# `scripts/cluster up` as a new user runs it, then the shop through nginx's TLS
# port: browse, register, cart, card checkout (201), the confirmation mail in
# the SMTP sink, every process healthy in `status --json`, Prometheus scraping
# every instance, one api instance killed -9 under a loop of GETs without a
# failed GET, and `down` leaving no process of the cluster alive.
#
#   tests/e2e/cluster_up.sh EMPORIUM_BINARY REPO_ROOT
#
# Its own folder and ports (a free block in 20000-20999), so a developer's
# cluster on the defaults, or this test run from another checkout, is left
# alone. Without nginx, Prometheus or the backing servers' packages it is
# skipped (exit 77), or fails when EMPORIUM_REQUIRE_SERVERS=1.
set -euo pipefail

binary=$(realpath "$1")
root=$(realpath "$2")
cluster="$root/scripts/cluster"

missing=()
for tool in nginx prometheus openssl curl jq redis-server; do
  command -v "$tool" >/dev/null 2>&1 || [[ -x /usr/sbin/$tool ]] || missing+=("$tool")
done
[[ -x /usr/lib/postgresql/15/bin/initdb ]] || missing+=(postgresql-15)
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
if ((${#missing[@]})); then
  if [[ ${EMPORIUM_REQUIRE_SERVERS:-} == 1 ]]; then
    echo "cluster_up: missing ${missing[*]}" >&2
    exit 1
  fi
  echo "cluster_up: skipped (missing ${missing[*]})"
  exit 77
fi

work=$(mktemp -d /tmp/emporium-cluster-XXXXXX)
chmod 755 "$work"  # the postgres user reaches its data dir below
export EMPORIUM_CLUSTER_DIR=$work/cluster EMPORIUM_BIN=$binary EMPORIUM_CLUSTER_API_INSTANCES=3
# Settings of the ctest environment that would otherwise reach the processes.
unset EMPORIUM_DATA_DIR EMPORIUM_POSTGRES_URL EMPORIUM_REDIS_URL EMPORIUM_AMQP_URL EMPORIUM_SMTP_URL

pids_file=$work/pids
cleanup() {
  "$cluster" down >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "cluster_up: $*" >&2
  local f
  for f in "$EMPORIUM_CLUSTER_DIR"/logs/*.log; do
    [[ -s $f ]] || continue
    echo "--- last lines of $f:" >&2
    tail -n 8 "$f" >&2
  done
  exit 1
}
now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# eventually SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
eventually() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# api METHOD PATH [curl args...]: the status code; the body lands in $work/body.
api() {
  local method=$1 path=$2
  shift 2
  curl -sk -m 15 -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$base$path"
}
expect() {
  local want=$1 got
  shift
  got=$(api "$@")
  [[ $got == "$want" ]] || fail "$1 $2 -> HTTP $got, expected $want: $(head -c 400 "$work/body")"
}

# Ports: the first block of 100 from 20000 up (below the kernel's ephemeral
# range, above scripts/test-servers.sh's) where all are free. Runs of this test
# in other checkouts on the machine pick under one lock, and `up` binds them
# before the lock goes; no process of the cluster inherits it (7>&-).
use_block() {
  local b=$1
  export EMPORIUM_CLUSTER_HTTPS_PORT=$((b + 43)) EMPORIUM_CLUSTER_HTTP_PORT=$((b + 80))
  export EMPORIUM_CLUSTER_API_PORT=$((b + 1)) EMPORIUM_CLUSTER_WORKER_PORT=$((b + 11))
  export EMPORIUM_CLUSTER_SANDBOX_PORT=$((b + 21)) EMPORIUM_CLUSTER_PROMETHEUS_PORT=$((b + 90))
}
block_free() {
  local p
  for p in 43 80 1 2 3 11 21 90; do
    [[ -z $(ss -Hltn "sport = :$(($1 + p))" 2>/dev/null) ]] || return 1
  done
}
exec 7>/tmp/emporium-cluster-test.lock
flock -w 600 7 || fail "could not lock /tmp/emporium-cluster-test.lock"
for ((block = 20000; block < 21000; block += 100)); do
  block_free "$block" && break
done
((block < 21000)) || fail "no free block of ports in 20000-20999"
use_block "$block"
base=https://127.0.0.1:$EMPORIUM_CLUSTER_HTTPS_PORT

t0=$(now)
"$cluster" up 2>"$work/up.log" 7>&- || { cat "$work/up.log" >&2; fail "scripts/cluster up failed"; }
flock -u 7
exec 7>&-
echo "cluster_up: scripts/cluster up took $(since "$t0")s (ports from $block)"
"$cluster" up 2>"$work/up2.log" 7>&- || fail "a second up failed: $(cat "$work/up2.log")"
grep -q 'already up' "$work/up2.log" || fail "a second up did not say it is already up: $(cat "$work/up2.log")"

# Every process healthy, as status --json says after really probing each.
"$cluster" status --json >"$work/status.json" || fail "status: $(cat "$work/status.json")"
jq -r '.[].pid | select(. != null)' "$work/status.json" >"$pids_file"
for kind in nginx api worker postgres redis rabbitmq smtp prometheus; do
  jq -e --arg k "$kind" 'any(.[]; .kind == $k and .healthy == true and (.pid | type) == "number"
    and (.port | type) == "number")' "$work/status.json" >/dev/null ||
    fail "status --json has no healthy $kind: $(cat "$work/status.json")"
done
[[ $(jq '[.[] | select(.kind == "api")] | length' "$work/status.json") == 3 ]] ||
  fail "expected 3 api instances: $(cat "$work/status.json")"
jq -e 'all(.[]; .healthy) and any(.[]; .kind == "postgres" and .role == "primary")' \
  "$work/status.json" >/dev/null || fail "not every process is healthy: $(cat "$work/status.json")"

# A catalog through `env`, then the shop through nginx.
# shellcheck disable=SC2046  # one KEY=VALUE word per line, by design
env $("$cluster" env) "$binary" seed --products 20 >"$work/seed.log" 2>&1 ||
  fail "seed through scripts/cluster env failed: $(cat "$work/seed.log")"
expect 200 GET /api/v1/products
jq -e '.items | length > 0' "$work/body" >/dev/null || fail "no products listed: $(head -c 300 "$work/body")"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' \
  "http://127.0.0.1:$EMPORIUM_CLUSTER_HTTP_PORT/api/v1/products")
[[ $code == "301 $base/api/v1/products" ]] || fail "plain HTTP answered '$code', not a redirect to TLS"
expect 403 GET /metrics
expect 404 GET /sandbox/v1/charges

expect 201 POST /api/v1/auth/register -H 'Content-Type: application/json' \
  -d '{"email":"ada@example.com","password":"a long passphrase","name":"Ada"}'
token=$(jq -r .access_token "$work/body")
auth=(-H "Authorization: Bearer $token")
expect 200 GET /api/v1/me "${auth[@]}"
expect 200 GET /api/v1/payments/config "${auth[@]}"
tokenize_url=$(jq -r .card.tokenize_url "$work/body")
expect 201 POST /api/v1/carts "${auth[@]}"
cart=$(jq -r .id "$work/body")
expect 200 GET /api/v1/products/1
sku=$(jq -r '.variants[0].sku' "$work/body")
expect 201 POST "/api/v1/carts/$cart/items" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"sku":"'"$sku"'","quantity":1}'
card=$(curl -s -m 10 -X POST "$tokenize_url" -H 'Content-Type: application/json' \
  -d '{"number":"4242424242424242","exp_month":12,"exp_year":2035,"cvc":"123"}' | jq -r .token)
[[ -n $card && $card != null ]] || fail "the sandbox at $tokenize_url gave no card token"
expect 201 POST /api/v1/orders "${auth[@]}" -H 'Idempotency-Key: cluster-up-1' \
  -H 'Content-Type: application/json' \
  -d '{"cart_id":"'"$cart"'","payment":{"method":"card","token":"'"$card"'"},
       "shipping_address":{"name":"Ada","line1":"1 Main St","city":"London","postal_code":"N1","country":"GB"}}'
order=$(jq -r .id "$work/body")
number=$(jq -r .number "$work/body")
echo "cluster_up: order $order ($number) placed through nginx ($(since "$t0")s)"

# The worker sends the confirmation through RabbitMQ to the SMTP sink.
maildir=$(jq -r '.[] | select(.kind == "smtp") | .maildir' "$work/status.json")
# A mail to Ada whose subject names the order number (headers and bodies decoded).
mail_has_order() {
  /usr/bin/python3 - "$maildir" "$number" <<'PY'
import email, email.policy, mailbox, sys
for message in mailbox.Maildir(sys.argv[1], create=False):
    m = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    if "ada@example.com" in str(m["To"]) and sys.argv[2] in str(m["Subject"]):
        sys.exit(0)
sys.exit(1)
PY
}
eventually 30 mail_has_order || fail "no mail to Ada naming order $number in $maildir: $(ls "$maildir/new")"

# Prometheus scrapes every emporium process.
prom=http://127.0.0.1:$EMPORIUM_CLUSTER_PROMETHEUS_PORT
all_scraped() {
  curl -s -m 5 "$prom/api/v1/targets" >"$work/targets.json" &&
    jq -e '[.data.activeTargets[] | select(.labels.job == "emporium" and .health == "up")]
      | length == 5' "$work/targets.json" >/dev/null
}
eventually 30 all_scraped || fail "Prometheus does not scrape all 5 processes: $(cat "$work/targets.json")"
echo "cluster_up: the mail arrived and Prometheus scrapes all 5 emporium processes ($(since "$t0")s)"

# kill -9 one instance under steady GETs (one client on a keep-alive
# connection, 60 a second, under the per-address rate limit): nginx retries
# each GET that meets the dead instance on another one, so none fails. The
# kill comes once nginx has logged 30 of them.
victim=$(jq -r '.[] | select(.name == "api-2") | .pid' "$work/status.json")
access_log=$EMPORIUM_CLUSTER_DIR/logs/nginx.access.log
gets=150
logged_before=$(grep -c '"GET /api/v1/products/' "$access_log" || true)
urls=()
for ((i = 1; i <= gets; i++)); do urls+=(-o /dev/null "$base/api/v1/products/$((i % 20 + 1))"); done
curl -sk -m 10 --rate 60/s -w '%{http_code}\n' "${urls[@]}" >"$work/codes" 2>/dev/null &
loader=$!
thirty_logged() { (($(grep -c '"GET /api/v1/products/' "$access_log" || true) >= logged_before + 30)); }
eventually 30 thirty_logged || fail "the GETs did not start"
kill -9 "$victim"
wait "$loader" || true
[[ $(wc -l <"$work/codes") == "$gets" ]] || fail "curl reported $(wc -l <"$work/codes") of $gets GETs"
failed=$(grep -vc '^200$' "$work/codes" || true)
# nginx's access log names every instance a request tried ("A, B" when the
# first failed): the kill was met, and retried.
victim_port=$(jq -r '.[] | select(.name == "api-2") | .port' "$work/status.json")
retried=$(grep -c " 127\.0\.0\.1:$victim_port, " "$EMPORIUM_CLUSTER_DIR/logs/nginx.access.log" || true)
echo "cluster_up: $gets GETs, api-2 killed -9 once 30 were served: $failed failed, $retried retried on another instance"
((failed == 0)) || fail "$failed GETs failed after the kill: $(sort "$work/codes" | uniq -c | tr '\n' ' ')"
((retried > 0)) || fail "no GET met the killed instance (nothing was retried): the kill was not exercised"
"$cluster" status --json >"$work/status2.json" && fail "status says healthy with api-2 dead"
jq -e '.[] | select(.name == "api-2") | .healthy == false' "$work/status2.json" >/dev/null ||
  fail "status does not see api-2 down: $(cat "$work/status2.json")"

t1=$(now)
"$cluster" down 2>"$work/down.log" || fail "scripts/cluster down failed: $(cat "$work/down.log")"
echo "cluster_up: scripts/cluster down took $(since "$t1")s"
left=()
while read -r pid; do
  [[ -d /proc/$pid ]] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && left+=("$pid")
done <"$pids_file"
((${#left[@]} == 0)) || fail "still alive after down: ${left[*]}"
"$cluster" status --json >"$work/status3.json" && fail "status after down says up"
[[ $(cat "$work/status3.json") == "[]" ]] || fail "status after down: $(cat "$work/status3.json")"
echo "cluster_up: $(wc -l <"$pids_file") processes started and stopped; total $(since "$t0")s"
