#!/usr/bin/env bash
# Runs one command with private test servers (PostgreSQL, Redis, RabbitMQ,
# SMTP sink) around it, and stops them afterwards whatever happened:
#
#   scripts/with-test-servers.sh ctest --preset release
#
# The command sees the EMPORIUM_TEST_* variables of scripts/test-servers.sh.
# Exits with the command's status.
#
# Without EMPORIUM_TEST_STATE set, the servers live in a fresh directory under
# /tmp, so two of these can run side by side; it is removed afterwards if the
# command succeeded and kept (with the servers' logs) if it failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if (($# == 0)); then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

own_state=0
if [[ -z "${EMPORIUM_TEST_STATE:-}" ]]; then
  EMPORIUM_TEST_STATE="$(mktemp -d /tmp/emporium-test-servers.XXXXXX)"
  own_state=1
fi
export EMPORIUM_TEST_STATE
# Tests never crash PostgreSQL itself: it need not flush to disk (test-servers.sh).
export EMPORIUM_TEST_PG_FSYNC="${EMPORIUM_TEST_PG_FSYNC:-off}"

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local status=$?
  # Stopping must not be cut short by a second Ctrl-C (stop has its own
  # timeouts); the children of this script inherit the ignored signals.
  trap '' INT TERM
  trap - EXIT
  bash "$here/test-servers.sh" stop </dev/null || true
  if ((own_state && status == 0)); then
    rm -rf "$EMPORIUM_TEST_STATE"
  else
    # The logs are what a failure needs; PostgreSQL's data directory is
    # gigabytes after a full run and would fill the disk over a few failures.
    if ((own_state)); then rm -rf "$EMPORIUM_TEST_STATE/postgres/data"; fi
    echo "with-test-servers: servers' logs kept in $EMPORIUM_TEST_STATE" >&2
  fi
  exit "$status"
}
trap cleanup EXIT

# A signal before the command runs exits (through cleanup); once it runs, the
# signal is passed on to it and everything it started (a shell's foreground
# child would otherwise outlive it), and we exit when it does, with its
# status.
child=""
# shellcheck disable=SC2317  # called by on_signal
descendants() {
  local pid
  for pid in $(pgrep -P "$1" || true); do
    echo "$pid"
    descendants "$pid"
  done
}
# shellcheck disable=SC2317  # called by the INT and TERM traps
on_signal() {
  if [[ -z "$child" ]]; then exit "$2"; fi
  local pids
  # The whole tree first, then signal: a parent that dies first would
  # orphan its children out of reach.
  pids="$(descendants "$child")"
  # shellcheck disable=SC2086  # one pid per word
  kill "-$1" "$child" $pids 2>/dev/null || true
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

# </dev/null: the servers and their tools must not eat the command's stdin.
bash "$here/test-servers.sh" start </dev/null
# shellcheck source=/dev/null
source "$EMPORIUM_TEST_STATE/env"

# In the background so that `wait` (unlike a foreground command) returns as
# soon as a signal arrives; <&0 keeps stdin, which a background command would
# otherwise lose to /dev/null.
"$@" <&0 &
child=$!
while true; do
  status=0
  wait "$child" || status=$?
  # Above 128 with the child still running: `wait` was interrupted by a
  # signal we passed on; wait again for the child to finish.
  if ((status > 128)) && kill -0 "$child" 2>/dev/null; then continue; fi
  break
done
exit "$status"
