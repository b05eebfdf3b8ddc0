#!/usr/bin/env bash
# `scripts/cluster up` as a new user runs it (the default services topology:
# nginx -> 2 gateways -> users, catalog x2, inventory, cart, orders, payments,
# notifications), then the shop through nginx's TLS port: browse, register,
# cart, card checkout (201), the confirmation mail in the SMTP sink, every
# process healthy in `status --json`, Prometheus scraping every instance. Then
# the issue's failure tests: one catalog instance killed -9 under a loop of
# GETs without a failed GET (the gateways move a GET to the other instance);
# notifications stopped: pages still 200; the last unit of a product sold
# through orders -> inventory over HTTP, and both catalog instances showing
# it sold out from the stock.changed event; payments stopped: its routes
# answer 503 at once and a card checkout (orders -> payments over HTTP)
# answers 503 and leaves the stock as it was;
# inventory stopped: pages still 200, a checkout 503 at once. Last, `down`
# leaves no process of the cluster alive. Every figure measured is printed.
#
#   tests/e2e/cluster_up.sh EMPORIUM_BINARY REPO_ROOT
#
# Its own folder and ports (a free block in 20000-20999), so a developer's
# cluster on the defaults, or this test run from another checkout, is left
# alone. Without nginx, Prometheus or the backing servers' packages it is
# skipped (exit 77), or fails when EMPORIUM_REQUIRE_SERVERS=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/start_shop.sh"

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
skip_unless_installed cluster_up "${missing[@]}"

work=$(mktemp -d /tmp/emporium-cluster-XXXXXX)
chmod 755 "$work"  # the postgres user reaches its data dir below
export EMPORIUM_CLUSTER_DIR=$work/cluster EMPORIUM_BIN=$binary EMPORIUM_CLUSTER_TOPOLOGY=services
export EMPORIUM_CLUSTER_GATEWAY_INSTANCES=2 EMPORIUM_CLUSTER_CATALOG_INSTANCES=2
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
  export EMPORIUM_CLUSTER_GATEWAY_PORT=$((b + 1)) EMPORIUM_CLUSTER_SERVICE_PORT=$((b + 51))
  export EMPORIUM_CLUSTER_SANDBOX_PORT=$((b + 21)) EMPORIUM_CLUSTER_PROMETHEUS_PORT=$((b + 90))
}
block_free() {
  local p
  for p in 43 80 1 2 21 51 52 53 54 55 56 57 58 90; do
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
# `up` recorded its ports and topology: `status` finds them with only the
# folder given (a cluster on other ports needs no repeat of those variables).
env -u EMPORIUM_CLUSTER_HTTPS_PORT -u EMPORIUM_CLUSTER_GATEWAY_PORT -u EMPORIUM_CLUSTER_SERVICE_PORT \
  -u EMPORIUM_CLUSTER_SANDBOX_PORT -u EMPORIUM_CLUSTER_HTTP_PORT -u EMPORIUM_CLUSTER_PROMETHEUS_PORT \
  -u EMPORIUM_CLUSTER_TOPOLOGY "$cluster" status --json >"$work/status-folder-only.json" ||
  fail "status with only EMPORIUM_CLUSTER_DIR: $(head -c 300 "$work/status-folder-only.json")"
[[ $(jq -c '[.[] | {name, port}]' "$work/status-folder-only.json") == \
  "$(jq -c '[.[] | {name, port}]' "$work/status.json")" ]] ||
  fail "status with only EMPORIUM_CLUSTER_DIR names other ports"
for kind in nginx gateway users catalog inventory cart orders payments notifications \
  payment-sandbox postgres redis rabbitmq smtp prometheus; do
  jq -e --arg k "$kind" 'any(.[]; .kind == $k and .healthy == true and (.pid | type) == "number"
    and (.port | type) == "number")' "$work/status.json" >/dev/null ||
    fail "status --json has no healthy $kind: $(cat "$work/status.json")"
done
[[ $(jq '[.[] | select(.kind == "gateway")] | length' "$work/status.json") == 2 ]] ||
  fail "expected 2 gateway instances: $(cat "$work/status.json")"
[[ $(jq '[.[] | select(.kind == "catalog")] | length' "$work/status.json") == 2 ]] ||
  fail "expected 2 catalog instances: $(cat "$work/status.json")"
# Every emporium process: 2 gateways, 8 service instances, the sandbox.
emporium_count=11
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
# Internal routes: not through the edge; on inventory's own port with the
# cluster's service credential only.
expect 404 GET /internal/v1/inventory/count
inventory_port=$(jq -r '[.[] | select(.kind == "inventory")][0].port' "$work/status.json")
service_secret=$("$cluster" env | sed -n 's/^EMPORIUM_SERVICE_SECRET=//p')
[[ ${#service_secret} -ge 32 ]] || fail "scripts/cluster env gives no EMPORIUM_SERVICE_SECRET"
internal=http://127.0.0.1:$inventory_port/internal/v1/inventory/count
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 "$internal")
[[ $code == 401 ]] || fail "inventory's internal route without the credential answered $code, not 401"
count=$(curl -s -m 10 -H "X-Emporium-Service-Secret: $service_secret" "$internal" | jq -r .count)
[[ $count =~ ^[0-9]+$ && $count -gt 0 ]] ||
  fail "inventory's internal count with the credential answered '$count', not the seeded SKUs"
# A service takes its caller's budget as its deadline: one already spent is
# refused without being worked on. The edge does not: a client's budget
# header is dropped by the gateway, which sends its own.
code=$(curl -s -o "$work/body" -w '%{http_code}' -m 10 -H 'X-Emporium-Budget-Ms: 0' \
  "http://127.0.0.1:$inventory_port/internal/v1/inventory/count" \
  -H "X-Emporium-Service-Secret: $service_secret")
[[ $code == 503 ]] || fail "a spent budget on inventory's port answered $code, not 503"
jq -e '.type | endswith("budget-spent")' "$work/body" >/dev/null ||
  fail "a spent budget on inventory's port: not budget-spent: $(head -c 300 "$work/body")"
expect 200 GET /api/v1/products -H 'X-Emporium-Budget-Ms: 0'

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
# The order went through orders calling the other services over HTTP: its
# process built none of them (and holds no token signing key: it checks
# tokens with the users service's JWKS).
for peer in users inventory catalog cart payments; do
  grep -q "over HTTP instead of building it.*\"service\":\"$peer\"" "$EMPORIUM_CLUSTER_DIR/logs/orders.log" ||
    fail "orders did not call $peer over HTTP: $(grep -c . "$EMPORIUM_CLUSTER_DIR/logs/orders.log") log lines"
done

# shellcheck disable=SC2046  # one KEY=VALUE word per line, by design
env $("$cluster" env) "$binary" user create --admin --email admin@example.com \
  --password 'an admin passphrase' >"$work/admin.log" 2>&1 || fail "user create: $(cat "$work/admin.log")"
expect 200 POST /api/v1/auth/login -H 'Content-Type: application/json' \
  -d '{"email":"admin@example.com","password":"an admin passphrase"}'
admin=(-H "Authorization: Bearer $(jq -r .access_token "$work/body")")

# The catalog shows stock from inventory's stock.changed events, not from a
# call: product 3 is set to 1 unit (the catalog writes that figure itself),
# then sold through orders, which reserves over HTTP on inventory's internal
# routes. Only the event, through RabbitMQ to one catalog instance, can make
# it show sold out, and both instances must (the cache is dropped over Redis).
expect 200 GET /api/v1/products/3
sku3=$(jq -r '.variants[0].sku' "$work/body")
slug3=$(jq -r .slug "$work/body")
expect 200 PATCH "/api/v1/admin/products/3/variants/$sku3" "${admin[@]}" \
  -H 'Content-Type: application/json' -d '{"stock":1}'
for _ in 1 2 3 4; do  # both instances cache the page, in stock
  expect 200 GET "/api/v1/products/$slug3"
  [[ $(jq -r '.variants[0].in_stock' "$work/body") == true ]] || fail "$sku3 not in stock with 1 unit"
done
expect 201 POST /api/v1/carts "${auth[@]}"
cart3=$(jq -r .id "$work/body")
expect 201 POST "/api/v1/carts/$cart3/items" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"sku":"'"$sku3"'","quantity":1}'
expect 201 POST /api/v1/orders "${auth[@]}" -H 'Idempotency-Key: cluster-up-cod' \
  -H 'Content-Type: application/json' \
  -d '{"cart_id":"'"$cart3"'","payment":{"method":"cod"},
       "shipping_address":{"name":"Ada","line1":"1 Main St","city":"London","postal_code":"N1","country":"GB"}}'
t_sold=$(now)
# Four GETs in a row say sold out: the gateways take the two catalog instances in turn.
sold_out_everywhere() {
  local i
  for i in 1 2 3 4; do
    [[ $(api GET "/api/v1/products/$slug3") == 200 ]] || return 1
    [[ $(jq -r '.variants[0].in_stock' "$work/body") == false ]] || return 1
  done
}
eventually 15 sold_out_everywhere || fail "product 3 still shows in stock after its last unit sold"
echo "cluster_up: the last unit of $sku3 sold; both catalog instances show it sold out within $(since "$t_sold")s"

# The notifications service sends the confirmation through RabbitMQ to the SMTP sink.
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
      | length == '"$emporium_count" "$work/targets.json" >/dev/null
}
eventually 30 all_scraped ||
  fail "Prometheus does not scrape all $emporium_count processes: $(cat "$work/targets.json")"
echo "cluster_up: the mail arrived and Prometheus scrapes all $emporium_count emporium processes ($(since "$t0")s)"

# --- the issue's failure tests -----------------------------------------------------
#
# figures FILE: "F/N failed, p50 ..." over curl's "CODE SECONDS" lines, for the
# closing note.
figures() {
  local bad total
  total=$(wc -l <"$1")
  bad=$(grep -vc '^200 ' "$1" || true)
  printf '%s/%s failed, ' "$bad" "$total"
  awk '{ print $2 * 1000 }' "$1" | sort -n | awk '{ t[NR] = $1 } END {
    p99 = int(NR * 0.99); if (p99 < NR * 0.99) p99++
    printf "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms", t[int((NR + 1) / 2)], t[p99], t[NR] }'
}
field_of() { jq -r --arg n "$1" --arg f "$2" '.[] | select(.name == $n) | .[$f]' "$work/status.json"; }
# stop_process NAME: SIGTERM to the pid status --json gave, then wait until it is gone.
stop_process() {
  local pid
  pid=$(field_of "$1" pid)
  kill "$pid"
  gone() { [[ ! -d /proc/$pid ]] || grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; }
  eventually 20 gone || fail "$1 (pid $pid) did not stop on SIGTERM"
}
# seconds_below LIMIT SECONDS: true when SECONDS < LIMIT.
seconds_below() { awk -v l="$1" -v s="$2" 'BEGIN { exit !(s < l) }'; }

# 1. kill -9 one catalog instance under steady GETs (one client on a keep-alive
# connection through nginx, 60 a second, under the per-address rate limit).
# Each gateway sends the product GETs to catalog-1 and catalog-2 in turn; once
# catalog-2 is gone the GETs it would get are refused and the gateway moves
# them to catalog-1 (a GET is safe to send twice), so none fails. The kill
# comes once nginx has logged 30 of them and catalog-2 has served some.
victim=$(field_of catalog-2 pid)
access_log=$EMPORIUM_CLUSTER_DIR/logs/nginx.access.log
victim_log=$EMPORIUM_CLUSTER_DIR/logs/catalog-2.log
gets=150
logged() { grep -c '"GET /api/v1/products/' "$access_log" || true; }
logged_before=$(logged)
urls=()
for ((i = 1; i <= gets; i++)); do urls+=(-o /dev/null "$base/api/v1/products/$((i % 20 + 1))"); done
curl -sk -m 10 --rate 60/s -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$work/codes" 2>/dev/null &
loader=$!
thirty_logged() { (($(logged) >= logged_before + 30)); }
eventually 30 thirty_logged || fail "the GETs did not start"
victim_served=$(grep -c '"path":"/api/v1/products/' "$victim_log" || true)
logged_at_kill=$(logged)
kill -9 "$victim"
wait "$loader" || true
[[ $(wc -l <"$work/codes") == "$gets" ]] || fail "curl reported $(wc -l <"$work/codes") of $gets GETs"
after_kill=$(($(logged) - logged_at_kill))
echo "cluster_up: catalog-2 killed -9 under $gets GETs at 60/s (it had served $victim_served product" \
  "GETs; $after_kill GETs after the kill): $(figures "$work/codes")"
failed=$(grep -vc '^200 ' "$work/codes" || true)
((failed == 0)) || fail "$failed GETs failed after the kill: $(cut -d' ' -f1 "$work/codes" | sort | uniq -c | tr '\n' ' ')"
((victim_served > 0)) || fail "catalog-2 served no GET before the kill: the kill was not exercised"
((after_kill >= 20)) || fail "only $after_kill GETs came after the kill"
"$cluster" status --json >"$work/status2.json" && fail "status says healthy with catalog-2 dead"
jq -e '.[] | select(.name == "catalog-2") | .healthy == false' "$work/status2.json" >/dev/null ||
  fail "status does not see catalog-2 down: $(cat "$work/status2.json")"

# 2. notifications stopped: pages stay 200 (nothing on a page waits for it).
stop_process notifications
urls=()
for ((i = 1; i <= 40; i++)); do urls+=(-o /dev/null "$base/api/v1/products?limit=$((i % 4 + 5))"); done
curl -sk -m 10 --rate 40/s -w '%{http_code} %{time_total}\n' "${urls[@]}" >"$work/codes2" 2>/dev/null || true
echo "cluster_up: notifications stopped, 40 GET /api/v1/products: $(figures "$work/codes2")"
[[ $(grep -c '^200 ' "$work/codes2") == 40 ]] ||
  fail "pages failed with notifications stopped: $(cut -d' ' -f1 "$work/codes2" | sort | uniq -c | tr '\n' ' ')"

# 3. payments stopped. Its own routes answer 503 with Retry-After at once (the
# gateway finds no instance). A card checkout reaches orders, which charges
# over HTTP on payments' internal routes (`--target=orders` builds only users
# besides itself; inventory, catalog, cart and payments it calls): with
# payments down the charge is "unavailable", the saga releases the stock and
# the checkout answers 503 quickly, the card provider still running. The
# stock it would have reserved is still available.
expect 200 GET /api/v1/products/2
sku2=$(jq -r '.variants[0].sku' "$work/body")
available() {
  expect 200 GET "/api/v1/admin/inventory/$sku2" "${admin[@]}"
  jq -r .available "$work/body"
}
expect 201 POST /api/v1/carts "${auth[@]}"
cart2=$(jq -r .id "$work/body")
expect 201 POST "/api/v1/carts/$cart2/items" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"sku":"'"$sku2"'","quantity":1}'
card2=$(curl -s -m 10 -X POST "$tokenize_url" -H 'Content-Type: application/json' \
  -d '{"number":"4242424242424242","exp_month":12,"exp_year":2035,"cvc":"123"}' | jq -r .token)
[[ -n $card2 && $card2 != null ]] || fail "the sandbox gave no second card token"
stock_before=$(available)
[[ $stock_before =~ ^[0-9]+$ ]] || fail "no stock figure for $sku2: $stock_before"

stop_process payments
read -r code secs < <(curl -sk -m 10 -o "$work/body" -D "$work/headers" -w '%{http_code} %{time_total}\n' \
  "${auth[@]}" "$base/api/v1/payments/config")
echo "cluster_up: payments stopped: GET /api/v1/payments/config -> $code in ${secs}s"
[[ $code == 503 ]] || fail "payments/config with payments stopped -> $code, not 503: $(head -c 300 "$work/body")"
grep -qi '^retry-after:' "$work/headers" || fail "the 503 has no Retry-After"
seconds_below 3 "$secs" || fail "the 503 took ${secs}s, not under 3 s"

read -r code secs < <(curl -sk -m 15 -o "$work/body" -w '%{http_code} %{time_total}\n' -X POST \
  "${auth[@]}" -H 'Idempotency-Key: cluster-up-2' -H 'Content-Type: application/json' \
  -d '{"cart_id":"'"$cart2"'","payment":{"method":"card","token":"'"$card2"'"},
       "shipping_address":{"name":"Ada","line1":"1 Main St","city":"London","postal_code":"N1","country":"GB"}}' \
  "$base/api/v1/orders")
stock_after=$(available)
echo "cluster_up: payments stopped: card checkout -> $code in ${secs}s;" \
  "$sku2 available $stock_before before, $stock_after after"
[[ $code == 503 ]] || fail "the card checkout answered $code, not 503: $(head -c 300 "$work/body")"
seconds_below 3 "$secs" || fail "the checkout's 503 took ${secs}s, not under 3 s"
[[ $stock_after == "$stock_before" ]] || fail "$sku2 available $stock_before before, $stock_after after"

# 4. inventory stopped. Product pages do not need it (the catalog's mirror),
# so browsing stays 200; what needs it (a checkout reserving stock over HTTP)
# answers 503 with Retry-After at once instead of hanging.
stop_process inventory
expect 200 GET "/api/v1/products/$slug3"
expect 200 GET /api/v1/products
read -r code secs < <(curl -sk -m 15 -o "$work/body" -D "$work/headers" -w '%{http_code} %{time_total}\n' \
  -X POST "${auth[@]}" -H 'Idempotency-Key: cluster-up-3' -H 'Content-Type: application/json' \
  -d '{"cart_id":"'"$cart2"'","payment":{"method":"cod"},
       "shipping_address":{"name":"Ada","line1":"1 Main St","city":"London","postal_code":"N1","country":"GB"}}' \
  "$base/api/v1/orders")
echo "cluster_up: inventory stopped: pages 200; cash checkout -> $code in ${secs}s"
[[ $code == 503 ]] || fail "the checkout with inventory stopped answered $code, not 503: $(head -c 300 "$work/body")"
grep -qi '^retry-after:' "$work/headers" || fail "the checkout's 503 has no Retry-After"
seconds_below 3 "$secs" || fail "the checkout's 503 took ${secs}s, not under 3 s"

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
