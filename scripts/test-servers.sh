#!/usr/bin/env bash
# Private PostgreSQL 15, Redis 7, RabbitMQ and SMTP servers for the
# integration tests, on loopback, each on a free port, all state (data, logs,
# sockets, pids) in one directory.
#
#   scripts/test-servers.sh start    # (re)start them; writes STATE/env
#   scripts/test-servers.sh env      # print STATE/env (source it)
#   scripts/test-servers.sh status   # say which answer
#   scripts/test-servers.sh stop     # stop whatever is running; never fails
#   scripts/test-servers.sh rabbitmq-stop-app   # RabbitMQ away (node stays, queues kept)
#   scripts/test-servers.sh rabbitmq-start-app  # back; returns when AMQP answers
#
# STATE is ${EMPORIUM_TEST_STATE:-/tmp/emporium-test-servers}. `start` wipes it
# first (after stopping servers it left behind), so every start is a blank
# slate. scripts/with-test-servers.sh wraps start/stop around one command.
#
# Settings (environment):
#   EMPORIUM_TEST_START_TIMEOUT  seconds each server may take to answer (90)
#   PG_BIN                       PostgreSQL binaries (/usr/lib/postgresql/15/bin)
#   EMPORIUM_TEST_PG_FSYNC       off: PostgreSQL does not flush to disk (default on;
#                                scripts/with-test-servers.sh sets off)
set -euo pipefail

STATE="$(realpath -m "${EMPORIUM_TEST_STATE:-/tmp/emporium-test-servers}")"
TIMEOUT="${EMPORIUM_TEST_START_TIMEOUT:-90}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
# Debian's interpreter, where python3-aiosmtpd is installed; `python3` on PATH
# may be a pyenv or virtualenv one that lacks it.
PYTHON=/usr/bin/python3
# The real RabbitMQ scripts. The /usr/sbin ones are wrappers that, run as
# root, switch to the rabbitmq user and cd to /var/lib/rabbitmq, which would
# lose our environment and the private state dir.
RABBIT_BIN=/usr/lib/rabbitmq/bin
MARKER=.emporium-test-servers
# One lock for every state dir: finding free ports and binding them must not
# interleave with another start on this machine. It is held on fd 9, which
# every server is started with closed (9>&-): a server inheriting it would
# hold the lock for as long as it runs.
LOCK=/tmp/emporium-test-servers.lock

# Base ports, below Linux's ephemeral range (32768+) so an outgoing
# connection cannot be holding them. Each steps up while taken.
BASE_PG=15432 BASE_REDIS=16379 BASE_AMQP=17672 BASE_AMQP_DIST=17772
BASE_STREAM=17552 BASE_EPMD=14369 BASE_SMTP=12525

log() { echo "test-servers: $*" >&2; }

usage() {
  sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

now() { echo "${EPOCHREALTIME/,/.}"; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- processes --------------------------------------------------------------

# Alive and not a zombie. Our servers are reparented to PID 1 once `start`
# exits; where PID 1 does not reap, a dead server stays a zombie, which
# `kill -0` would still report as alive.
alive() {
  local pid="$1" stat
  [[ -n "$pid" ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [[ "${stat:0:1}" != Z ]]
}

# True if PID is alive and its command line contains PATTERN, so that a pid
# recorded long ago and since reused by another program is never signalled.
pid_is() {
  local pid="$1" pattern="$2"
  alive "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern"
}

# wait_gone SECONDS PID...: wait until none of the pids is alive.
wait_gone() {
  local deadline=$((SECONDS + $1)) pid
  shift
  while ((SECONDS < deadline)); do
    for pid in "$@"; do
      if alive "$pid"; then sleep 0.1 && continue 2; fi
    done
    return 0
  done
  return 1
}

# terminate NAME PATTERN PID [PGID]: SIGTERM, then SIGKILL after 10 s; with
# PGID, the whole process group (a server and the helpers it spawned).
terminate() {
  local name="$1" pattern="$2" pid="$3" pgid="${4:-}"
  pid_is "$pid" "$pattern" || return 0
  if [[ -n "$pgid" ]]; then kill -TERM -- "-$pgid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
  wait_gone 10 "$pid" && return 0
  log "$name (pid $pid) ignored SIGTERM; killing it"
  if [[ -n "$pgid" ]]; then kill -KILL -- "-$pgid" 2>/dev/null || true; else kill -KILL "$pid" 2>/dev/null || true; fi
  wait_gone 5 "$pid" || log "$name (pid $pid) is still there"
}

# as_postgres CMD...: PostgreSQL refuses to run as root; as root, run it as
# the `postgres` OS user that Debian's postgresql-common creates. From /, as
# its tools fail in a working directory that user cannot read (/root/...).
as_postgres() {
  if ((EUID == 0)); then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# --- ports ------------------------------------------------------------------

ALLOCATED=" "
port_in_use() {
  local port="$1"
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}
# pick_port BASE VAR: sets VAR to the first port >= BASE that nothing listens
# on and that this run has not handed out already.
pick_port() {
  local port="$1"
  while [[ "$ALLOCATED" == *" $port "* ]] || port_in_use "$port"; do
    port=$((port + 1))
    ((port <= $1 + 500)) || fail "$2" "" "no free port in $1..$port"
  done
  ALLOCATED+="$port "
  printf -v "$2" '%s' "$port"
}

# --- state file -------------------------------------------------------------

# STATE/servers records, as each server starts, what `stop` needs to stop it.
record() { printf '%s=%q\n' "$1" "$2" >>"$STATE/servers"; }

rabbit_env() {
  # Everything RabbitMQ (server and CLI) reads, pointed into the state dir.
  # HOME holds the Erlang cookie that the CLI must share with the node.
  RABBIT_ENV=(
    "HOME=$STATE/rabbitmq"
    "RABBITMQ_NODENAME=$RABBIT_NODE"
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1"
    "RABBITMQ_NODE_PORT=$AMQP_PORT"
    "RABBITMQ_DIST_PORT=$AMQP_DIST_PORT"
    "RABBITMQ_CONFIG_FILE=$STATE/rabbitmq/rabbitmq.conf"
    "RABBITMQ_ADVANCED_CONFIG_FILE=$STATE/rabbitmq/advanced.config"
    "RABBITMQ_CONF_ENV_FILE=$STATE/rabbitmq/rabbitmq-env.conf"
    "RABBITMQ_ENABLED_PLUGINS_FILE=$STATE/rabbitmq/enabled_plugins"
    "RABBITMQ_MNESIA_BASE=$STATE/rabbitmq/mnesia"
    "RABBITMQ_LOG_BASE=$STATE/rabbitmq/log"
    "RABBITMQ_PID_FILE=$STATE/rabbitmq/rabbitmq.pid"
    "RABBITMQ_PLUGINS_EXPAND_DIR=$STATE/rabbitmq/plugins-expand"
    "ERL_EPMD_PORT=$EPMD_PORT"
    "ERL_EPMD_ADDRESS=127.0.0.1"
    "ERL_CRASH_DUMP=$STATE/rabbitmq/log/erl_crash.dump"
    # Erlang distribution (node <-> CLI) on loopback only.
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}"
  )
}

# --- stop -------------------------------------------------------------------

do_stop() {
  if [[ ! -f "$STATE/servers" ]]; then
    log "nothing recorded in $STATE; nothing to stop"
    return 0
  fi
  local t0 PG_DATA="" PG_PORT="" REDIS_PORT="" REDIS_PID="" SMTP_PID="" \
    RABBIT_NODE="" RABBIT_PID="" AMQP_PORT="" AMQP_DIST_PORT="" EPMD_PORT="" EPMD_PID=""
  t0="$(now)"
  # shellcheck source=/dev/null
  source "$STATE/servers"
  rm -f "$STATE/env"

  # RabbitMQ first and in the background: it is the slowest to stop.
  local rabbit_stopper=""
  if [[ -n "$RABBIT_PID" ]] && pid_is "$RABBIT_PID" rabbitmq; then
    (
      rabbit_env
      timeout 30 env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" stop \
        >>"$STATE/rabbitmq/log/stop.log" 2>&1 </dev/null || true
      wait_gone 10 "$RABBIT_PID" || true
      terminate rabbitmq rabbitmq "$RABBIT_PID" "$RABBIT_PID"
    ) &
    rabbit_stopper=$!
  fi

  if [[ -n "$PG_DATA" && -f "$PG_DATA/postmaster.pid" ]]; then
    local pg_pid
    pg_pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast -w -t 30 >>"$STATE/postgres/stop.log" 2>&1 || true
    terminate postgres postgres "$pg_pid"
  fi

  if [[ -n "$REDIS_PORT" ]]; then
    [[ -n "$REDIS_PID" ]] || REDIS_PID="$(cat "$STATE/redis/redis.pid" 2>/dev/null || true)"
    if pid_is "$REDIS_PID" redis-server; then
      timeout 10 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
      wait_gone 5 "$REDIS_PID" || true
      terminate redis redis-server "$REDIS_PID"
    fi
  fi

  [[ -z "$SMTP_PID" ]] || terminate smtp aiosmtpd "$SMTP_PID"

  [[ -z "$rabbit_stopper" ]] || wait "$rabbit_stopper" || true
  # epmd last: the node and rabbitmqctl unregister from it while stopping.
  [[ -z "$EPMD_PID" ]] || terminate epmd epmd "$EPMD_PID"

  mv -f "$STATE/servers" "$STATE/servers.stopped"
  log "stopped in $(elapsed_since "$t0")s"
}

# --- start ------------------------------------------------------------------

# fail NAME LOG MESSAGE: say what failed, show its log (LOG may be a
# directory: then each *.log in it), stop what started, exit 1.
fail() {
  local f
  log "$1: $3"
  if [[ -n "$2" ]]; then
    for f in "$2" "$2"/*.log; do
      [[ -f "$f" && -s "$f" ]] || continue
      log "last lines of $f:"
      tail -n 20 "$f" >&2
    done
  fi
  do_stop || true
  exit 1
}

# wait_for NAME LOGFILE PID CMD...: poll CMD until it succeeds, failing early
# if PID (the server) dies, or after $TIMEOUT seconds.
wait_for() {
  local name="$1" logfile="$2" pid="$3" deadline=$((SECONDS + TIMEOUT))
  shift 3
  until "$@" >/dev/null 2>&1 </dev/null; do
    if [[ -n "$pid" ]] && ! alive "$pid"; then
      fail "$name" "$logfile" "exited during startup"
    fi
    if ((SECONDS >= deadline)); then
      fail "$name" "$logfile" "did not answer within ${TIMEOUT}s"
    fi
    sleep 0.2
  done
}

smtp_answers() {
  # A real SMTP greeting ("220 ..."), not just an open port.
  local code
  code="$(
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    read -r -t 3 -n 3 code <&3 || exit 1
    printf 'QUIT\r\n' >&3
    echo "$code"
  )" 2>/dev/null || return 1
  [[ "$code" == 220 ]]
}

redis_answers() { [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]; }

check_prerequisites() {
  local missing=()
  [[ -x "$PG_BIN/initdb" ]] || missing+=(postgresql-15)
  [[ -x "$PG_BIN/pg_isready" ]] || missing+=(postgresql-client-15)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  [[ -x "$RABBIT_BIN/rabbitmq-server" ]] || missing+=(rabbitmq-server)
  "$PYTHON" -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
  if ((${#missing[@]})); then
    log "missing: ${missing[*]} (run scripts/install-deps.sh)"
    exit 1
  fi
  if ((EUID == 0)) && ! id postgres >/dev/null 2>&1; then
    log "no 'postgres' OS user to run PostgreSQL as (reinstall postgresql-common)"
    exit 1
  fi
}

start_epmd() {
  # A private Erlang port mapper, so that stopping RabbitMQ can stop it too
  # without touching a system epmd that other Erlang nodes may rely on.
  pick_port "$BASE_EPMD" EPMD_PORT
  setsid epmd -port "$EPMD_PORT" -address 127.0.0.1 -relaxed_command_check \
    >"$STATE/rabbitmq/log/epmd.log" 2>&1 </dev/null 9>&- &
  EPMD_PID=$!
  record EPMD_PORT "$EPMD_PORT"
  record EPMD_PID "$EPMD_PID"
  wait_for epmd "$STATE/rabbitmq/log/epmd.log" "$EPMD_PID" port_in_use "$EPMD_PORT"
}

launch_rabbitmq() {
  local dir="$STATE/rabbitmq"
  pick_port "$BASE_AMQP" AMQP_PORT
  pick_port "$BASE_AMQP_DIST" AMQP_DIST_PORT
  pick_port "$BASE_STREAM" STREAM_PORT
  RABBIT_NODE="emporium-test-$AMQP_PORT@localhost"
  mkdir -p "$dir/mnesia" "$dir/log" "$dir/plugins-expand"
  # The node and the CLI must share this cookie; writing it first means
  # neither can race to create a different one.
  (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$dir/.erlang.cookie")
  chmod 400 "$dir/.erlang.cookie"
  # Only the stream plugin: no management UI (and its port), no prometheus.
  echo '[rabbitmq_stream].' >"$dir/enabled_plugins"
  cat >"$dir/rabbitmq.conf" <<EOF
# written by scripts/test-servers.sh
stream.listeners.tcp.1 = 127.0.0.1:$STREAM_PORT
stream.advertised_host = 127.0.0.1
stream.advertised_port = $STREAM_PORT
# The user the tests connect as (instead of guest), with full permissions
# on the default vhost "/".
default_user = emporium
default_pass = emporium
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
disk_free_limit.absolute = 50MB
log.console = false
log.file.level = info
EOF
  start_epmd
  rabbit_env
  # setsid: its own session and process group, so `stop` can end the node and
  # every helper it spawned (erl_child_setup, inet_gethost) by group id.
  (cd "$dir" && exec setsid env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmq-server" \
    >"$dir/log/console.log" 2>&1 </dev/null) 9>&- &
  RABBIT_PID=$!
  record RABBIT_NODE "$RABBIT_NODE"
  record AMQP_PORT "$AMQP_PORT"
  record AMQP_DIST_PORT "$AMQP_DIST_PORT"
  record STREAM_PORT "$STREAM_PORT"
  record RABBIT_PID "$RABBIT_PID"
}

wait_rabbitmq() {
  # await_startup fails at once while the node is not registered yet, and
  # waits (up to its --timeout) once it is: poll it.
  wait_for rabbitmq "$STATE/rabbitmq/log" "$RABBIT_PID" \
    timeout 30 env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" -q await_startup --timeout 20
}

launch_postgres() {
  local dir="$STATE/postgres"
  pick_port "$BASE_PG" PG_PORT
  PG_DATA="$dir/data"
  mkdir -p "$dir"
  ((EUID != 0)) || chown postgres: "$dir"
  if ! as_postgres test -w "$dir"; then
    fail postgres "" "the postgres user cannot write $dir; put EMPORIUM_TEST_STATE somewhere every user can reach (e.g. under /tmp)"
  fi
  # --no-sync only skips initdb's own final fsync (a throwaway cluster);
  # the running server keeps fsync on.
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U emporium -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$dir/initdb.log" 2>&1 || fail postgres "$dir/initdb.log" "initdb failed"
  cat >>"$PG_DATA/postgresql.conf" <<EOF

# scripts/test-servers.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$dir'
max_connections = 200
EOF
  # Tests crash the shop, never PostgreSQL or the machine: what PostgreSQL has
  # written is in the page cache either way, so flushing it to disk (fsync,
  # full-page writes, waiting for the WAL flush at commit) buys them nothing
  # and makes each test's CREATE DATABASE cost seconds on a loaded machine.
  # scripts/with-test-servers.sh turns it off; benchmarks keep it on.
  if [[ "${EMPORIUM_TEST_PG_FSYNC:-on}" == off ]]; then
    cat >>"$PG_DATA/postgresql.conf" <<EOF
fsync = off
full_page_writes = off
synchronous_commit = off
EOF
  fi
  record PG_DATA "$PG_DATA"
  record PG_PORT "$PG_PORT"
  # pg_ctl -w exits 0 once the server accepts connections, non-zero if it
  # fails to start; in the background, so the other servers start meanwhile.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$dir/postgres.log" -w -t "$TIMEOUT" start \
    >"$dir/pg_ctl.log" 2>&1 </dev/null 9>&- &
  PG_CTL_PID=$!
}

wait_postgres() {
  wait "$PG_CTL_PID" || fail postgres "$STATE/postgres/postgres.log" "did not start (pg_ctl start failed)"
  wait_for postgres "$STATE/postgres/postgres.log" "" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U emporium -d postgres
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U emporium emporium \
    >>"$STATE/postgres/pg_ctl.log" 2>&1 || fail postgres "$STATE/postgres/pg_ctl.log" "createdb emporium failed"
}

launch_redis() {
  local dir="$STATE/redis"
  pick_port "$BASE_REDIS" REDIS_PORT
  mkdir -p "$dir"
  record REDIS_PORT "$REDIS_PORT"
  # In the background rather than --daemonize: its pid is then known at
  # once, so a server that dies at start (port taken) fails fast.
  setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize no --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    >"$dir/start.log" 2>&1 </dev/null 9>&- &
  REDIS_PID=$!
  record REDIS_PID "$REDIS_PID"
}

wait_redis() {
  wait_for redis "$STATE/redis/redis.log" "$REDIS_PID" redis_answers "$REDIS_PORT"
}

launch_smtp() {
  local dir="$STATE/smtp"
  pick_port "$BASE_SMTP" SMTP_PORT
  mkdir -p "$dir" "$STATE/maildir/new" "$STATE/maildir/cur" "$STATE/maildir/tmp"
  # A real SMTP server that stores every message it accepts in a Maildir.
  setsid "$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$STATE/maildir" >"$dir/smtp.log" 2>&1 </dev/null 9>&- &
  SMTP_PID=$!
  record SMTP_PID "$SMTP_PID"
}

wait_smtp() {
  wait_for smtp "$STATE/smtp/smtp.log" "$SMTP_PID" smtp_answers "$SMTP_PORT"
}

write_env() {
  {
    echo "# written by scripts/test-servers.sh start; source it"
    printf 'export %s=%q\n' \
      EMPORIUM_TEST_STATE "$STATE" \
      EMPORIUM_TEST_POSTGRES_URL "postgresql://emporium@127.0.0.1:$PG_PORT/emporium" \
      EMPORIUM_TEST_REDIS_URL "redis://127.0.0.1:$REDIS_PORT/0" \
      EMPORIUM_TEST_AMQP_URL "amqp://emporium:emporium@127.0.0.1:$AMQP_PORT/%2f" \
      EMPORIUM_TEST_RABBITMQ_STREAM_PORT "$STREAM_PORT" \
      EMPORIUM_TEST_SMTP_URL "smtp://127.0.0.1:$SMTP_PORT" \
      EMPORIUM_TEST_SMTP_MAILDIR "$STATE/maildir"
  } >"$STATE/env.tmp"
  mv "$STATE/env.tmp" "$STATE/env"
}

do_start() {
  local t0
  t0="$(now)"
  check_prerequisites

  # Leftovers of an earlier start in the same dir: stop them, then wipe it,
  # but never wipe a directory this script did not create.
  if [[ -e "$STATE" ]]; then
    if [[ -f "$STATE/$MARKER" ]]; then
      do_stop
      rm -rf "$STATE"
    elif [[ -n "$(ls -A "$STATE")" ]]; then
      log "$STATE exists and was not made by this script; refusing to wipe it"
      exit 1
    fi
  fi
  mkdir -p "$STATE/rabbitmq"
  # Other users (postgres) must be able to reach their subdirectories.
  chmod 755 "$STATE"
  touch "$STATE/$MARKER"
  : >"$STATE/servers"

  # Launch all four, then wait for each: start-up time is the slowest one's
  # (RabbitMQ's), not the sum.
  launch_rabbitmq
  launch_postgres
  launch_redis
  launch_smtp
  wait_redis
  wait_smtp
  wait_postgres
  wait_rabbitmq
  write_env

  log "postgres :$PG_PORT, redis :$REDIS_PORT, rabbitmq :$AMQP_PORT (stream :$STREAM_PORT), smtp :$SMTP_PORT"
  log "started in $(elapsed_since "$t0")s; env: $STATE/env"
}

do_status() {
  [[ -f "$STATE/servers" ]] || { log "not started ($STATE)"; return 1; }
  local PG_PORT="" REDIS_PORT="" SMTP_PID="" RABBIT_PID="" AMQP_PORT="" rc=0 SMTP_PORT
  # shellcheck source=/dev/null
  source "$STATE/servers"
  SMTP_PORT="$(sed -n 's|^export EMPORIUM_TEST_SMTP_URL=smtp://127.0.0.1:||p' "$STATE/env" 2>/dev/null)"
  check() { if "${@:2}" >/dev/null 2>&1; then echo "$1: up"; else echo "$1: DOWN"; rc=1; fi; }
  check "postgres :$PG_PORT" "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U emporium -d emporium
  check "redis :$REDIS_PORT" redis_answers "$REDIS_PORT"
  check "rabbitmq :$AMQP_PORT" port_in_use "$AMQP_PORT"
  check "smtp :$SMTP_PORT" smtp_answers "$SMTP_PORT"
  return "$rc"
}

# rabbitmq-stop-app / rabbitmq-start-app: stop and start the RabbitMQ
# application inside the running node (rabbitmqctl stop_app / start_app).
# Clients lose their connections and the AMQP port closes, but the node, its
# cookie and its durable queues with their persistent messages stay: tests
# take the broker away and bring it back in a few seconds, without the
# wipe that `start` does.
#
# stop_app returns before the stream plugin's listener has let go of its port,
# and a start_app in that window fails (eaddrinuse, seen in a repeat loop), so
# stop waits until both ports are closed, and start tries again (stop_app,
# ports closed, start_app) up to three times.
do_rabbitmq_app() {
  local action="$1" RABBIT_NODE="" AMQP_PORT="" AMQP_DIST_PORT="" EPMD_PORT="" RABBIT_PID=""
  local STREAM_PORT=""
  [[ -f "$STATE/servers" ]] || { log "not started ($STATE)"; exit 1; }
  # shellcheck source=/dev/null
  source "$STATE/servers"
  [[ -n "$RABBIT_NODE" ]] || { log "no RabbitMQ recorded in $STATE/servers"; exit 1; }
  rabbit_env
  local t0
  t0="$(now)"
  if [[ "$action" == stop_app ]]; then
    rabbitmq_ctl stop_app || exit 1
    rabbitmq_ports_closed || exit 1
  else
    local try
    for try in 1 2 3; do
      if rabbitmq_ctl start_app; then break; fi
      ((try < 3)) || exit 1
      log "rabbitmq: start_app failed (try $try); stopping the app and trying again"
      rabbitmq_ctl stop_app || true
      rabbitmq_ports_closed || exit 1
    done
    local deadline=$((SECONDS + TIMEOUT))
    until port_in_use "$AMQP_PORT"; do
      ((SECONDS < deadline)) || { log "rabbitmq: AMQP :$AMQP_PORT did not answer within ${TIMEOUT}s"; exit 1; }
      sleep 0.1
    done
  fi
  log "rabbitmq $action done in $(elapsed_since "$t0")s"
}

# rabbitmq_ctl ACTION: rabbitmqctl ACTION on the recorded node, output to app.log.
rabbitmq_ctl() {
  timeout 60 env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmqctl" -n "$RABBIT_NODE" -q "$1" \
    >>"$STATE/rabbitmq/log/app.log" 2>&1 </dev/null || {
    log "rabbitmqctl $1 failed (see $STATE/rabbitmq/log/app.log)"
    return 1
  }
}

# rabbitmq_ports_closed: waits until neither the AMQP nor the stream port listens.
rabbitmq_ports_closed() {
  local deadline=$((SECONDS + TIMEOUT)) port
  for port in "$AMQP_PORT" "$STREAM_PORT"; do
    [[ -n "$port" ]] || continue
    while port_in_use "$port"; do
      ((SECONDS < deadline)) || { log "rabbitmq: :$port still listens ${TIMEOUT}s after stop_app"; return 1; }
      sleep 0.1
    done
  done
}

(($# == 1)) || usage
case "$1" in
  start | stop)
    exec 9>"$LOCK"
    flock -w 600 9 || { log "could not lock $LOCK"; exit 1; }
    # No server or tool of theirs (the Erlang CLI reads it) gets our stdin.
    if [[ "$1" == start ]]; then do_start </dev/null; else do_stop </dev/null; fi
    ;;
  env)
    if [[ ! -f "$STATE/env" ]]; then
      log "not started ($STATE/env missing); run: scripts/test-servers.sh start"
      exit 1
    fi
    cat "$STATE/env"
    ;;
  status) do_status ;;
  rabbitmq-stop-app) do_rabbitmq_app stop_app </dev/null ;;
  rabbitmq-start-app) do_rabbitmq_app start_app </dev/null ;;
  *) usage ;;
esac
