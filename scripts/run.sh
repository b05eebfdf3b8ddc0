#!/usr/bin/env bash
# The one command to try Emporium: installs what is missing, builds the
# release binary, and serves the shop (default http://127.0.0.1:8080).
# Arguments go to `emporium serve`, e.g.  scripts/run.sh --listen 127.0.0.1:9000
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
bash scripts/build.sh release

# Only to print the right URL: --listen / EMPORIUM_LISTEN, as serve reads them.
listen="${EMPORIUM_LISTEN:-127.0.0.1:8080}"
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --listen=*) listen="${args[i]#--listen=}" ;;
    --listen) ((i + 1 < ${#args[@]})) && listen="${args[i + 1]}" ;;
  esac
done
# A wildcard address is not something to type into a browser.
case "$listen" in
  0.0.0.0:*) listen="127.0.0.1:${listen#*:}" ;;
  "[::]:"*) listen="[::1]:${listen##*:}" ;;
esac

# A newcomer should land in a shop, not an empty one: a demo catalog is
# seeded once, while the store has no products. EMPORIUM_DEMO_PRODUCTS=0 skips it.
demo_products="${EMPORIUM_DEMO_PRODUCTS:-10000}"
if [[ "$demo_products" != 0 ]]; then
  seed_args=()
  for ((i = 0; i < ${#args[@]}; i++)); do
    case "${args[i]}" in
      --data-dir=* | --config=*) seed_args+=("${args[i]}") ;;
      --data-dir | --config) ((i + 1 < ${#args[@]})) && seed_args+=("${args[i]}" "${args[i + 1]}") ;;
    esac
  done
  build/release/src/app/emporium seed --products "$demo_products" --if-empty "${seed_args[@]}"
fi

echo "Emporium: http://$listen (Ctrl-C stops it)"

exec build/release/src/app/emporium serve "$@"
