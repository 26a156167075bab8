#!/usr/bin/env bash
# Heartbeat benchmark: single-event `POST /api/v1/progress/events` requests over 64
# concurrent keep-alive connections (64 learners, Bearer tokens), against SQLite and against
# Postgres, on this machine.
#
# For each backend:
#   1. starts the release server on a fresh data folder (and, for Postgres, a fresh database
#      in a throwaway cluster with the default durability: fsync on, synchronous_commit on);
#   2. creates 64 learners with API tokens (examples/progress_load.rs `setup`);
#   3. warms up for 3 s, then measures for $BENCH_SECONDS s: acknowledged events per second,
#      p50 and p99 latency of the requests as the client sees them;
#   4. checks in the database that every acknowledged event is stored;
#   5. runs the load again and kills the server with SIGKILL in the middle of it, then checks
#      that every event acknowledged before the kill is stored.
# Load generator and server share the machine's cores; the generator is a minimal HTTP client.
#
# Environment:
#   BENCH_SECONDS   length of the measured run (default 20)
#   CONNECTIONS     concurrent connections (default 64)
#   BACKENDS        "sqlite postgres" (default), or one of them
#   PGPORT          port of the throwaway Postgres cluster (default 55434)
#   COURSEWARE_BIN  the server binary to measure (default: build the release binary)
#   PROGRESS_LOAD_BIN  a built load generator (examples/progress_load) to use as it is
#   CARGO_TARGET_DIR is honoured when looking for (or building) the release binaries.
#
# Exits non-zero if an acknowledged event is missing; prints the figures and whether the
# targets (10,000 events/s, p99 under 50 ms) are met either way.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO_ROOT/target}
BIN=${COURSEWARE_BIN:-$TARGET_DIR/release/courseware}
LOAD=${PROGRESS_LOAD_BIN:-$TARGET_DIR/release/examples/progress_load}
BENCH_SECONDS=${BENCH_SECONDS:-20}
CONNECTIONS=${CONNECTIONS:-64}
BACKENDS=${BACKENDS:-sqlite postgres}
PGPORT=${PGPORT:-55434}
TARGET_RATE=10000
TARGET_P99_MS=50

log() { printf '[bench] %s\n' "$*" >&2; }

if [ -n "${PROGRESS_LOAD_BIN:-}" ]; then
    log "server: ${COURSEWARE_BIN:-$BIN}, load generator: $PROGRESS_LOAD_BIN (nothing built)"
elif [ -n "${COURSEWARE_BIN:-}" ]; then
    log "building the load generator (server: $COURSEWARE_BIN)"
    (cd "$REPO_ROOT" && cargo build --release --quiet --example progress_load)
else
    log "building the release server and load generator"
    (cd "$REPO_ROOT" && cargo build --release --quiet --bin courseware --example progress_load)
fi

WORK=$(mktemp -d /tmp/courseware-progress-bench.XXXXXX)
SERVER_PID=""
PGDATA=""
PGBIN=""
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill -9 "$SERVER_PID" 2>/dev/null || true; fi
    if [ -n "$PGDATA" ]; then as_postgres "'$PGBIN/pg_ctl' -D '$PGDATA' -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$PGDATA"; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# start_server DATA_DIR DATABASE_URL: starts the server, sets SERVER_PID and SERVER_URL.
start_server() {
    local out=$WORK/server.out
    : > "$out"
    COURSEWARE_LOG=warn COURSEWARE_ADMIN_PASSWORD=bench-admin-password \
        "$BIN" --bind 127.0.0.1:0 --data-dir "$1" --database-url "$2" serve > "$out" 2> "$WORK/server.err" &
    SERVER_PID=$!
    for _ in $(seq 1 300); do
        if grep -q 'serving on' "$out"; then break; fi
        sleep 0.1
    done
    SERVER_URL=$(sed -n 's/.*serving on \(http:[^ ]*\)\/$/\1/p' "$out")
    if [ -z "$SERVER_URL" ]; then echo "error: the server did not start:" >&2; cat "$WORK/server.err" >&2; exit 2; fi
}

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

declare -A RESULT
bench_backend() {
    local name=$1 url=$2 data=$WORK/data-$1
    mkdir -p "$data"
    start_server "$data" "$url"
    log "$name: server at $SERVER_URL (pid $SERVER_PID), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    "$LOAD" setup --url "$SERVER_URL" --database-url "$url" --learners "$CONNECTIONS" > "$WORK/setup.json"
    "$LOAD" run --url "$SERVER_URL" --setup "$WORK/setup.json" --connections "$CONNECTIONS" --seconds 3 \
        --prefix "warm-$name-" --acked "$WORK/warm.txt" > /dev/null
    log "$name: measuring ${BENCH_SECONDS}s at $CONNECTIONS connections"
    "$LOAD" run --url "$SERVER_URL" --setup "$WORK/setup.json" --connections "$CONNECTIONS" --seconds "$BENCH_SECONDS" \
        --prefix "run-$name-" --acked "$WORK/run.txt" > "$WORK/run.json"
    "$LOAD" check --database-url "$url" --prefix "run-$name-" --acked "$WORK/run.txt" > "$WORK/check.json"

    log "$name: the same load, and SIGKILL to the server after 4 s"
    "$LOAD" run --url "$SERVER_URL" --setup "$WORK/setup.json" --connections "$CONNECTIONS" --seconds 10 \
        --prefix "kill-$name-" --acked "$WORK/kill.txt" > "$WORK/kill-run.json" &
    local load_pid=$!
    sleep 4
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
    wait "$load_pid"
    "$LOAD" check --database-url "$url" --prefix "kill-$name-" --acked "$WORK/kill.txt" > "$WORK/kill-check.json"

    RESULT[$name]=$(python3 - "$WORK" "$name" "$TARGET_RATE" "$TARGET_P99_MS" <<'EOF'
import json, sys
work, name, rate_target, p99_target = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
run = json.load(open(f"{work}/run.json")); check = json.load(open(f"{work}/check.json"))
kill = json.load(open(f"{work}/kill-check.json"))
ok = lambda b: "MET" if b else "MISSED"
print(f"{name:9} {run['events_per_second']:>9.0f} ev/s  p50 {run['p50_ms']:6.2f} ms  p99 {run['p99_ms']:6.2f} ms  "
      f"({run['acknowledged']} acknowledged in {run['seconds']} s, {run['refused']} refused, "
      f"{check['acknowledged_missing']} missing after the run)\n"
      f"{'':9} SIGKILL under load: {kill['acknowledged']} acknowledged before the kill, "
      f"{kill['acknowledged_missing']} of them missing\n"
      f"{'':9} target >= {rate_target:.0f} ev/s: {ok(run['events_per_second'] >= rate_target)}; "
      f"p99 < {p99_target:.0f} ms: {ok(run['p99_ms'] < p99_target)}")
EOF
)
}

for backend in $BACKENDS; do
    case $backend in
        sqlite)
            bench_backend sqlite "sqlite://$WORK/data-sqlite/courseware.db"
            ;;
        postgres)
            PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
            if [ -z "$PGBIN" ]; then log "postgres: not installed (apt-get install postgresql); skipped"; continue; fi
            PGDATA=$(mktemp -d /tmp/courseware-bench-pg.XXXXXX)
            if [ "$(id -u)" = 0 ]; then chown postgres "$PGDATA"; fi
            as_postgres "'$PGBIN/initdb' -D '$PGDATA' -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null"
            # Default durability: every commit waits for its WAL to reach the disk.
            as_postgres "'$PGBIN/pg_ctl' -D '$PGDATA' -l '$PGDATA/server.log' -w -o '-p $PGPORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200' start >/dev/null"
            psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -c "CREATE DATABASE courseware_bench" postgres
            bench_backend postgres "postgres://postgres@127.0.0.1:$PGPORT/courseware_bench"
            ;;
        *) echo "error: unknown backend $backend" >&2; exit 2 ;;
    esac
done

printf '\nHeartbeat benchmark: single-event requests, %s connections, %s s, %s CPUs (%s)\n' \
    "$CONNECTIONS" "$BENCH_SECONDS" "$(nproc)" "$(uname -m)"
status=0
for backend in $BACKENDS; do
    if [ -n "${RESULT[$backend]:-}" ]; then
        printf '%s\n' "${RESULT[$backend]}"
        if printf '%s' "${RESULT[$backend]}" | grep -Eq ' [1-9][0-9]* (missing after|of them missing)'; then status=1; fi
    fi
done
exit $status
