#!/usr/bin/env bash
# deploy/ checked offline: every Kubernetes document parses and hangs together
# (selectors, HPA/PDB targets, probes, requests, security, --target values the
# binary accepts), `promtool check config` passes on the Prometheus config, and
# the Grafana dashboard has its panels and reads only metrics that a real shop
# exports: scraped here from a shop (tests/e2e/start_shop.sh) after one request
# of each kind (browse, sign-up, cart, card checkout, the mail it sends).
#
#   tests/e2e/deploy_manifests.sh EMPORIUM_BINARY DEPLOY_DIR
#
# Without python3-yaml or promtool it is skipped (exit 77), or fails when
# EMPORIUM_REQUIRE_SERVERS=1 (scripts/install-deps.sh installs both).
set -euo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
source "$here/start_shop.sh"

binary=$(realpath "$1")
deploy=$(realpath "$2")
python=/usr/bin/python3
missing=()
"$python" -c 'import yaml' 2>/dev/null || missing+=(python3-yaml)
command -v promtool >/dev/null || missing+=(prometheus)
command -v jq >/dev/null || missing+=(jq)
skip_unless_installed deploy_manifests "${missing[@]}"

work=$(mktemp -d /tmp/emporium-deploy-XXXXXX)
server=
cleanup() {
  if [[ -n $server ]]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "deploy_manifests: $*" >&2
  [[ -f $work/serve.log ]] && tail -n 20 "$work/serve.log" >&2
  exit 1
}

# The Prometheus config, as the cluster uses it.
promtool check config "$deploy/prometheus/prometheus.yml" >"$work/promtool.log" 2>&1 ||
  { cat "$work/promtool.log" >&2; fail "promtool check config failed"; }

# What the binary accepts as --target: its help, and the list an unknown one gets.
"$binary" serve --help >"$work/serve-help.txt"
"$binary" serve --target=not-a-target --data-dir "$work/none" >/dev/null 2>"$work/target-error.txt" &&
  fail "serve accepted --target=not-a-target"

# A shop with a small catalog, one request of each kind, then its /metrics.
unset EMPORIUM_POSTGRES_URL EMPORIUM_REDIS_URL EMPORIUM_AMQP_URL EMPORIUM_SMTP_URL
export EMPORIUM_DATA_DIR=$work/data EMPORIUM_ACCESS_LOG=false EMPORIUM_LOG_LEVEL=warn
"$binary" seed --products 5 >"$work/seed.log" 2>&1 || fail "seed failed: $(cat "$work/seed.log")"
start_shop "$binary" "$work" || fail "the shop did not start"
base=http://127.0.0.1:$port
call() {
  local want=$1 method=$2 path=$3 got
  shift 3
  got=$(curl -s -m 10 -o "$work/body" -w '%{http_code}' -X "$method" "$@" "$base$path")
  [[ $got == "$want" ]] || fail "$method $path -> $got, expected $want: $(head -c 300 "$work/body")"
}
call 200 GET /api/v1/categories
call 200 GET '/api/v1/products?limit=3'
call 200 GET /api/v1/products/1
call 200 GET /api/v1/products/1  # a cache hit
sku=$(jq -r '.variants[0].sku' "$work/body")
call 404 GET /api/v1/products/999999
call 201 POST /api/v1/auth/register -H 'Content-Type: application/json' \
  -d '{"email":"ops@example.com","password":"a long passphrase","name":"Ops"}'
auth=(-H "Authorization: Bearer $(jq -r .access_token "$work/body")")
call 200 GET /api/v1/payments/config "${auth[@]}"
tokenize_url=$(jq -r .card.tokenize_url "$work/body")
call 201 POST /api/v1/carts "${auth[@]}"
cart=$(jq -r .id "$work/body")
call 201 POST "/api/v1/carts/$cart/items" "${auth[@]}" -H 'Content-Type: application/json' \
  -d '{"sku":"'"$sku"'","quantity":1}'
card=$(curl -s -m 10 -X POST "$tokenize_url" -H 'Content-Type: application/json' \
  -d '{"number":"4242424242424242","exp_month":12,"exp_year":2035,"cvc":"123"}' | jq -r .token)
call 201 POST /api/v1/orders "${auth[@]}" -H 'Idempotency-Key: deploy-manifests-1' \
  -H 'Content-Type: application/json' \
  -d '{"cart_id":"'"$cart"'","payment":{"method":"card","token":"'"$card"'"},
       "shipping_address":{"name":"Ops","line1":"1 Main St","city":"London","postal_code":"N1","country":"GB"}}'
call 200 GET /readyz
# The consumers have handled the order's events once their lag is recorded.
deadline=$((SECONDS + 30))
until curl -s -m 5 "$base/metrics" >"$work/metrics.txt" &&
  grep -q '^emporium_event_lag_seconds_bucket{consumer="notifications"' "$work/metrics.txt"; do
  ((SECONDS < deadline)) || fail "no event handled within 30 s"
  sleep 0.2
done

"$python" "$here/deploy_manifests.py" "$deploy" "$work/serve-help.txt" "$work/target-error.txt" \
  "$work/metrics.txt" || fail "deploy/ has problems (above)"
echo "deploy_manifests: deploy/k8s, deploy/prometheus and deploy/grafana pass"
