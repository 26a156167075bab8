#!/usr/bin/env bash
# Range-serving benchmark: the server's /content route, with the signed media URL
# checked on every request, against nginx's static module on the same bytes.
#
# What it does:
#   1. Generates (once; cached in $BENCH_DIR) a native package (docs/package-format.md)
#      with a 200 MiB random "video" and a 5 MB random "video".
#   2. Starts the release server on a fresh data dir (COURSEWARE_IMPORT_DEMO=false),
#      creates an admin API token with `courseware token create admin`, imports the
#      package with `courseware import --json`, and reads the two signed URLs from
#      GET /api/v1/courses/{id} with the Bearer token.
#   3. Starts nginx (one worker per core, sendfile on, tcp_nodelay on, access_log off)
#      with the package folder as root.
#   4. With wrk -t2 -c64 -d10s (bench/range.lua), each case against nginx and ours, in
#      ROUNDS (default 2) alternating rounds; the best round of each server is shown with
#      the req/s of every round (the machine is shared: the best run is the least disturbed):
#        (a) random 1 MiB ranges of the 200 MiB file   target ours/nginx >= 1.0
#        (b) whole 5 MB file GETs                       target ours/nginx >= 1.0
#        (c) random 4 KiB ranges of the 200 MiB file    target ours/nginx >= 0.75
#      and prints req/s, MB/s (10^6 bytes), p50, p99, the req/s ratio ours/nginx and each
#      server's CPU time per request (from /proc/PID/stat; steadier than req/s under load).
#      A third row per case, "accel", is the deployment that lets nginx send the bytes:
#      a second courseware process over the same data with accel_redirect_prefix=/_blobs
#      behind an nginx front (docs/x-accel-redirect.md, with upstream keepalive); it
#      still checks the signed URL on every request. Its ratio is informational.
#   5. 1,000 concurrent slow readers against ours (bench/slow_readers.py: each GETs the
#      200 MiB file and reads ~1 KB/s for 15 s; a probe sends a 4 KiB range each second)
#      and prints the server's VmHWM (peak RSS) before/after, the highest VmRSS and
#      thread count sampled during the phase, and the probe's latency.
#
# Loopback only; every step is bounded in time. Both page caches are warmed first, so
# this measures serving from memory, not the disk. wrk runs on the same two cores as
# the server it measures, for both servers alike.
#
# Environment:
#   BENCH_DIR       work folder (default /tmp/courseware-range-bench); package cached here
#   COURSEWARE_BIN  release binary (default <repo>/target/release/courseware; built if missing)
#   NGINX           nginx binary (default /usr/sbin/nginx)
#   WRK_DURATION    per run (default 10s); ROUNDS (2); SLOW_CLIENTS (1000), SLOW_SECONDS (15)
#   KEEP=1          keep the run folder (server and nginx logs)
#
# Exits 0 whenever the measurement could be made, whether or not the targets are met.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/courseware-range-bench}
COURSEWARE_BIN=${COURSEWARE_BIN:-$REPO_ROOT/target/release/courseware}
NGINX=${NGINX:-/usr/sbin/nginx}
WRK_THREADS=2
WRK_CONNS=64
WRK_DURATION=${WRK_DURATION:-10s}
ROUNDS=${ROUNDS:-2}
SLOW_CLIENTS=${SLOW_CLIENTS:-1000}
SLOW_SECONDS=${SLOW_SECONDS:-15}
BIG_BYTES=$((200 * 1024 * 1024))
MID_BYTES=5000000
SHAPE="v1 big=$BIG_BYTES mid=$MID_BYTES"

for tool in wrk python3 curl "$NGINX"; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "range.sh: $tool is missing (apt-get install nginx-light wrk curl python3)" >&2
    exit 1
  fi
done

if [ ! -x "$COURSEWARE_BIN" ]; then
  echo "== building the release binary (cargo build --release)"
  (cd "$REPO_ROOT" && cargo build --release --locked --quiet)
fi

# ------------------------------------------------------------------ package
PKG=$BENCH_DIR/pkg
mkdir -p "$BENCH_DIR"
if [ "$(cat "$BENCH_DIR/shape" 2>/dev/null)" != "$SHAPE" ]; then
  echo "== generating the package in $PKG"
  rm -rf "$PKG" && mkdir -p "$PKG/media"
  head -c "$BIG_BYTES" /dev/urandom > "$PKG/media/big.mp4"
  head -c "$MID_BYTES" /dev/urandom > "$PKG/media/mid.mp4"
  cat > "$PKG/course.toml" <<'EOF'
format = 1
slug = "range-bench"
title = "区间请求基准"

[[lessons]]
id = "big"
title = "200 MiB"
kind = "video"
file = "media/big.mp4"

[[lessons]]
id = "mid"
title = "5 MB"
kind = "video"
file = "media/mid.mp4"
EOF
  echo "$SHAPE" > "$BENCH_DIR/shape"
fi

# ------------------------------------------------------------------ processes
RUN=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
SERVER_PID=""
ACCEL_PID=""
NGINX_PID=""
SLOW_PID=""
cleanup() {
  for pid in $SLOW_PID $SERVER_PID $ACCEL_PID $NGINX_PID; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in $SLOW_PID $SERVER_PID $ACCEL_PID $NGINX_PID; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { # url pid
  for _ in $(seq 1 300); do
    kill -0 "$2" 2>/dev/null || { echo "range.sh: process $2 exited; see $RUN" >&2; KEEP=1; exit 1; }
    curl -s -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "range.sh: nothing answers at $1" >&2; KEEP=1; exit 1
}

# 1,000 slow readers need more descriptors than the usual soft limit of 1024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export COURSEWARE_IMPORT_DEMO=false COURSEWARE_ADMIN_PASSWORD=bench-password-1 COURSEWARE_LOG=warn
DATA=$RUN/data
PORT=$(free_port)
"$COURSEWARE_BIN" --data-dir "$DATA" --bind "127.0.0.1:$PORT" > "$RUN/server.log" 2>&1 &
SERVER_PID=$!
OURS=http://127.0.0.1:$PORT
wait_http "$OURS/healthz" "$SERVER_PID"

TOKEN=$(timeout 60 "$COURSEWARE_BIN" --data-dir "$DATA" token create admin 2>/dev/null)
REPORT=$(timeout 300 "$COURSEWARE_BIN" --data-dir "$DATA" import "$PKG" --json)
COURSE_ID=$(printf '%s' "$REPORT" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["course_id"])')
COURSE=$(curl -sf -H "Authorization: Bearer $TOKEN" "$OURS/api/v1/courses/$COURSE_ID")
url_of() { printf '%s' "$COURSE" | python3 -c "import json,sys; print(next(i['url'] for i in json.load(sys.stdin)['items'] if i['identifier']=='$1'))"; }
BIG_URL=$(url_of big)
MID_URL=$(url_of mid)

# The same data served in X-Accel-Redirect mode, for the "accel" rows.
APORT_UP=$(free_port)
COURSEWARE_ACCEL_REDIRECT_PREFIX=/_blobs "$COURSEWARE_BIN" --data-dir "$DATA" --bind "127.0.0.1:$APORT_UP" \
  > "$RUN/accel-server.log" 2>&1 &
ACCEL_PID=$!
wait_http "http://127.0.0.1:$APORT_UP/healthz" "$ACCEL_PID"

NPORT=$(free_port)
APORT=$(free_port)
mkdir -p "$RUN/nginx"
cat > "$RUN/nginx/nginx.conf" <<EOF
daemon off;
# Workers read the blob store of this run's data dir (mode 0700 under mktemp).
user $(id -un);
worker_processes auto;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    access_log off;
    client_body_temp_path $RUN/nginx/body;
    proxy_temp_path $RUN/nginx/proxy;
    fastcgi_temp_path $RUN/nginx/fastcgi;
    uwsgi_temp_path $RUN/nginx/uwsgi;
    scgi_temp_path $RUN/nginx/scgi;
    server {
        listen 127.0.0.1:$NPORT;
        root $PKG;
    }
    upstream courseware_accel {
        server 127.0.0.1:$APORT_UP;
        keepalive 64;
    }
    server {
        listen 127.0.0.1:$APORT;
        location / {
            proxy_pass http://courseware_accel;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /_blobs/ {
            internal;
            alias $DATA/blobs/;
            etag off;
            if_modified_since off;
            add_header ETag \$upstream_http_etag;
            add_header Last-Modified \$upstream_http_last_modified;
            add_header X-Content-Type-Options nosniff;
        }
    }
}
EOF
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" > "$RUN/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
NGX=http://127.0.0.1:$NPORT
wait_http "$NGX/media/mid.mp4" "$NGINX_PID"

# Both copies of the bytes (package folder for nginx, blob store for ours) in the page cache.
cat "$PKG/media/big.mp4" "$PKG/media/mid.mp4" > /dev/null
find "$DATA" -type f -size +1M -exec cat {} + > /dev/null

# Statuses, once, since wrk is not told to look at them.
check() { # label url range expected-status expected-length
  local got args=()
  [ -n "$3" ] && args=(-H "Range: bytes=$3")
  got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "${args[@]}" "$2")
  if [ "$got" != "$4 $5" ]; then
    echo "range.sh: $1 answered '$got', expected '$4 $5'" >&2; KEEP=1; exit 1
  fi
}
ACC=http://127.0.0.1:$APORT
for side in "nginx $NGX/media/big.mp4 $NGX/media/mid.mp4" "ours $OURS$BIG_URL $OURS$MID_URL" \
            "accel $ACC$BIG_URL $ACC$MID_URL"; do
  set -- $side
  check "$1 1 MiB range" "$2" "1048576-2097151" 206 1048576
  check "$1 4 KiB range" "$2" "4096-8191" 206 4096
  check "$1 whole 5 MB" "$3" "" 200 "$MID_BYTES"
done

echo "== load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews every figure)"
echo "== $(nproc) cores; wrk -t$WRK_THREADS -c$WRK_CONNS -d$WRK_DURATION on loopback; nginx $("$NGINX" -v 2>&1 | sed 's/.*\///'), worker_processes auto"
echo "   ours: $COURSEWARE_BIN (signed URL verified on every request)"

# ------------------------------------------------------------------ wrk
declare -A RPS BEST RUNS CPU
# CPU time (utime + stime, in ticks of 10 ms) of a server's processes: req/s swing with
# the machine's load, CPU time per request much less. For accel, the courseware process only.
cpu_ticks() { # server
  local pids t=0 p
  case $1 in
    nginx) pids="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')" ;;
    ours) pids=$SERVER_PID ;;
    accel) pids=$ACCEL_PID ;;
  esac
  for p in $pids; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
measure() { # case server url range-size file-len: one wrk run, the best one kept
  local out line requests duration_us rps c0 c1
  c0=$(cpu_ticks "$2")
  out=$(RANGE_SIZE=$4 FILE_LEN=$5 timeout 120 wrk -t"$WRK_THREADS" -c"$WRK_CONNS" -d"$WRK_DURATION" \
        -s "$REPO_ROOT/bench/range.lua" "$3" 2>&1) || true
  line=$(printf '%s\n' "$out" | grep '^RESULT' | tail -n 1)
  if [ -z "$line" ]; then
    RUNS[$1/$2]="${RUNS[$1/$2]:-} failed($(printf '%s' "$out" | tail -n 1 | cut -c1-60))"
    return
  fi
  requests=$(printf '%s' "$line" | sed 's/.*requests=\([0-9]*\).*/\1/')
  c1=$(cpu_ticks "$2")
  [ "$requests" -gt 0 ] && CPU[$1/$2]="${CPU[$1/$2]:-} $(( (c1 - c0) * 10000 / requests ))"
  duration_us=$(printf '%s' "$line" | sed 's/.*duration_us=\([0-9]*\).*/\1/')
  rps=$(python3 -c "print(round($requests / ($duration_us / 1e6)))")
  RUNS[$1/$2]="${RUNS[$1/$2]:-} $rps"
  if [ "$rps" -gt "${RPS[$1/$2]:-0}" ]; then
    RPS[$1/$2]=$rps
    BEST[$1/$2]=$line
  fi
}
show() { # case server range-size file-len: prints the best run
  local line=${BEST[$1/$2]:-}
  if [ -z "$line" ]; then
    printf '%-34s %-6s all runs failed:%s\n' "$1" "$2" "${RUNS[$1/$2]:-}"
    RPS[$1/$2]=0
    return
  fi
  local requests bytes duration_us p50_us p99_us errors
  eval "$(printf '%s' "${line#RESULT }" | tr ' ' '\n' | sed 's/^/local /')"
  local mbps body note=""
  mbps=$(python3 -c "print(f'{$bytes / $duration_us:.0f}')")
  body=$(( requests > 0 ? bytes / requests : 0 ))
  local want=$3; [ "$want" = 0 ] && want=$4
  # wrk's byte count includes headers and responses cut off at the end of the run.
  if [ "$body" -lt "$want" ] || [ "$body" -gt $((want + want / 50 + 2048)) ]; then
    note=" (!) $body bytes per response, expected ~$want"
  fi
  [ "$errors" != 0 ] && note="$note (!) $errors socket/status errors"
  printf '%-34s %-6s %9s %9s %9.2f %9.2f   runs:%s%s\n' "$1" "$2" "${RPS[$1/$2]}" "$mbps" \
    "$(python3 -c "print($p50_us/1000)")" "$(python3 -c "print($p99_us/1000)")" "${RUNS[$1/$2]}" "$note"
}
run_case() { # case range-size file-len nginx-url ours-url accel-url target
  local r
  for r in $(seq "$ROUNDS"); do
    measure "$1" nginx "$4" "$2" "$3"
    measure "$1" ours "$5" "$2" "$3"
    measure "$1" accel "$6" "$2" "$3"
  done
  show "$1" nginx "$2" "$3"
  show "$1" ours "$2" "$3"
  show "$1" accel "$2" "$3"
  ratio "$1" "$7"
  printf '%-34s server CPU us/request, every run: nginx%s | ours%s | accel (courseware only)%s\n' \
    "" "${CPU[$1/nginx]:-}" "${CPU[$1/ours]:-}" "${CPU[$1/accel]:-}"
}
ratio() { # case target
  local r a
  r=$(python3 -c "n=${RPS[$1/nginx]}; o=${RPS[$1/ours]}; print(f'{o/n:.2f}' if n else 'n/a')")
  a=$(python3 -c "n=${RPS[$1/nginx]}; o=${RPS[$1/accel]}; print(f'{o/n:.2f}' if n else 'n/a')")
  local verdict
  verdict=$(python3 -c "print('meets' if '$r' != 'n/a' and float('$r') >= $2 else 'MISSES')")
  printf '%-34s ratio ours/nginx (req/s) = %s   target >= %s: %s   (accel/nginx = %s)\n' \
    "" "$r" "$2" "$verdict" "$a"
}

echo "   each case: $ROUNDS rounds of (nginx, ours, accel), alternating; the best round of each is shown"
printf '\n%-34s %-6s %9s %9s %9s %9s   %s\n' "case" "server" "req/s" "MB/s" "p50 ms" "p99 ms" "req/s of every run"
A="(a) 1 MiB ranges of 200 MiB"
B="(b) whole 5 MB GETs"
C="(c) 4 KiB ranges of 200 MiB"
run_case "$A" 1048576 "$BIG_BYTES" "$NGX/media/big.mp4" "$OURS$BIG_URL" "$ACC$BIG_URL" 1.0
run_case "$B" 0 "$MID_BYTES" "$NGX/media/mid.mp4" "$OURS$MID_URL" "$ACC$MID_URL" 1.0
run_case "$C" 4096 "$BIG_BYTES" "$NGX/media/big.mp4" "$OURS$BIG_URL" "$ACC$BIG_URL" 0.75

# ------------------------------------------------------------------ slow readers
status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
echo
echo "== $SLOW_CLIENTS slow readers (~1 KB/s each, ${SLOW_SECONDS}s) on the 200 MiB file, against ours"
HWM_BEFORE=$(status_kib "$SERVER_PID" VmHWM)
RSS_BEFORE=$(status_kib "$SERVER_PID" VmRSS)
THREADS_BEFORE=$(status_kib "$SERVER_PID" Threads)
timeout $((SLOW_SECONDS + 90)) python3 "$REPO_ROOT/bench/slow_readers.py" 127.0.0.1 "$PORT" "$BIG_URL" \
  --clients "$SLOW_CLIENTS" --seconds "$SLOW_SECONDS" > "$RUN/slow.out" 2> "$RUN/slow.err" &
SLOW_PID=$!
RSS_MAX=0
ANON_MAX=0
FILE_MAX=0
THREADS_MAX=0
ANON_BEFORE=$(status_kib "$SERVER_PID" RssAnon)
FILE_BEFORE=$(status_kib "$SERVER_PID" RssFile)
while kill -0 "$SLOW_PID" 2>/dev/null; do
  rss=$(status_kib "$SERVER_PID" VmRSS); threads=$(status_kib "$SERVER_PID" Threads)
  anon=$(status_kib "$SERVER_PID" RssAnon); file=$(status_kib "$SERVER_PID" RssFile)
  [ "$rss" -gt "$RSS_MAX" ] && RSS_MAX=$rss
  [ "$anon" -gt "$ANON_MAX" ] && ANON_MAX=$anon
  [ "$file" -gt "$FILE_MAX" ] && FILE_MAX=$file
  [ "$threads" -gt "$THREADS_MAX" ] && THREADS_MAX=$threads
  sleep 0.5
done
wait "$SLOW_PID" || true
SLOW_PID=""
sleep 2
HWM_AFTER=$(status_kib "$SERVER_PID" VmHWM)
RSS_AFTER=$(status_kib "$SERVER_PID" VmRSS)
mib() { python3 -c "print(f'{$1/1024:.1f} MiB')"; }
echo "   clients: $(sed 's/^RESULT //' "$RUN/slow.out")"
[ -s "$RUN/slow.err" ] && echo "   client errors: $(head -c 300 "$RUN/slow.err")"
echo "   server VmHWM (peak RSS): before $(mib "$HWM_BEFORE"), after $(mib "$HWM_AFTER")"
echo "   server VmRSS: before $(mib "$RSS_BEFORE"), highest sampled during $(mib "$RSS_MAX"), 2 s after $(mib "$RSS_AFTER")"
# RssFile is file pages mapped by the server (its binary, and blobs it serves from a
# mapping: page cache shared with every reader of the file, not memory per connection);
# RssAnon is the server's own memory (buffers per connection among it).
echo "   of which RssAnon (own memory): before $(mib "$ANON_BEFORE"), highest sampled during $(mib "$ANON_MAX");" \
  "RssFile (mapped file pages): before $(mib "$FILE_BEFORE"), highest sampled during $(mib "$FILE_MAX")"
echo "   server threads: before $THREADS_BEFORE, highest sampled during $THREADS_MAX"
kill -0 "$SERVER_PID" 2>/dev/null && curl -s -o /dev/null -w "   after: /healthz %{http_code} in %{time_total}s\n" "$OURS/healthz"
exit 0
