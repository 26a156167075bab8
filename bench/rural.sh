#!/usr/bin/env bash
# Rural-link benchmark (issue 19): a 10-minute 720p lesson on an emulated 1 Mbit/s link
# with 300 ms round trips and on 256 kbit/s with 600 ms, played by headless Chromium in
# the slow network namespace, with the renditions (the adaptive player) and side by side
# with the original file served as before renditions existed.
#
# What it does:
#   1. Makes (once; cached in $BENCH_DIR) a 10-minute 1280x720 25 fps H.264 source at
#      about 1.6 Mbit/s (1.5 Mbit/s video with a little moving grain, 128 kbit/s stereo
#      AAC, a keyframe every 10 s, faststart), as a teacher's export, and a native package
#      of it.
#   2. Makes two data dirs (cached in $BENCH_DIR, keyed by the source, the ladder in
#      src/media/transcode.rs and the migrations): "adaptive", imported on a server with ffmpeg and waited on until the
#      renditions job is done (GET /api/v1/courses/{id}/renditions; this takes a long time
#      on 2 cores, and its time is printed), and "original", imported on a server with
#      COURSEWARE_FFMPEG=/nonexistent, so no renditions exist and the lesson page plays the
#      uploaded file as it did before. Both also hold the demo courses.
#   3. For each link it starts ../shared/tools/linkemu.py (netns `slow`, host side
#      10.77.0.1), serves both data dirs bound to 10.77.0.1, and runs
#      bench/rural_player.py in the namespace (a fresh Chromium profile per measurement):
#        - the video lesson page, muted autoplay: navigation start -> first frame, `waiting`
#          events in the first PLAY_SECONDS (60) s of playback, and at 1 Mbit/s a seek to
#          the middle and the time until it plays again;
#        - at 256 kbit/s the adaptive player must play audio-only or 240p: if "auto" showed
#          anything taller, the run is repeated with the 流畅 (240p) choice remembered, and
#          the output says so (row "auto" is then the first run); a row "audio" is a run
#          with 仅音频 (audio only) chosen, for comparison;
#        - the demo course's HTML lesson page ("field-guide" of rice-growing), cold and warm.
#   4. Prints a table, the targets, and as its last line
#      `rural: 1mbit first_frame_ms=N stalls_60s=N seek_ms=N; 256kbit first_frame_ms=N stalls_60s=N; lesson_ms=N`
#      with the adaptive player's figures (-1 where a figure could not be measured).
#
# Needs root (network namespace, TUN devices), ffmpeg, chromium, chromium-driver, curl,
# python3 (standard library only). Nothing else may use netns `slow` / tun-a meanwhile.
#
# Environment:
#   BENCH_DIR       work folder (default /tmp/courseware-rural-bench); source and data cached here
#   COURSEWARE_BIN  release binary (default $CARGO_TARGET_DIR or <repo>/target, /release/courseware;
#                   built if missing)
#   LINKEMU         the link emulator (default <repo>/../shared/tools/linkemu.py)
#   SOURCE_SECONDS  length of the source video (default 600; shorter for a try-out)
#   PLAY_SECONDS    seconds of playback watched for stalls (default 60)
#   LINKS           which links (default "1mbit 256kbit"; empty: only make the cached data dirs)
#   KEEP=1          keep the run folder (server, emulator and browser logs)
#
# Exits 0 whenever the measurement could be made, whether or not the targets are met.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/courseware-rural-bench}
COURSEWARE_BIN=${COURSEWARE_BIN:-${CARGO_TARGET_DIR:-$REPO_ROOT/target}/release/courseware}
LINKEMU=${LINKEMU:-$REPO_ROOT/../shared/tools/linkemu.py}
PLAY_SECONDS=${PLAY_SECONDS:-60}
SOURCE_SECONDS=${SOURCE_SECONDS:-600}
LINKS=${LINKS-1mbit 256kbit}
PLAYER=$REPO_ROOT/bench/rural_player.py
HOST_IP=10.77.0.1

[ "$(id -u)" = 0 ] || { echo "rural.sh: needs root (network namespace and TUN devices for linkemu.py)" >&2; exit 1; }
for tool in ffmpeg ffprobe chromium chromedriver curl python3 ip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { echo "rural.sh: $tool is missing (apt-get install ffmpeg chromium chromium-driver curl python3 iproute2)" >&2; exit 1; }
done
[ -f "$LINKEMU" ] || { echo "rural.sh: no link emulator at $LINKEMU (set LINKEMU)" >&2; exit 1; }
if ip link show tun-a >/dev/null 2>&1; then
  echo "rural.sh: tun-a exists: another link emulator is running; stop it first" >&2; exit 1
fi

if [ ! -x "$COURSEWARE_BIN" ]; then
  echo "== building the release binary (cargo build --release)"
  (cd "$REPO_ROOT" && cargo build --release --locked --quiet)
fi

# ------------------------------------------------------------------ source and package
SRC_ARGS=(-f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$SOURCE_SECONDS"
          -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=$SOURCE_SECONDS"
          -vf "noise=alls=6:allf=t" -c:v libx264 -preset veryfast -b:v 1500k -maxrate 1800k -bufsize 3000k
          -g 250 -pix_fmt yuv420p -c:a aac -b:a 128k -ac 2 -shortest -movflags +faststart)
SRC_SHAPE="v1 ${SRC_ARGS[*]}"
SRC=$BENCH_DIR/src/lesson.mp4
mkdir -p "$BENCH_DIR/src"
if [ "$(cat "$BENCH_DIR/src/shape" 2>/dev/null)" != "$SRC_SHAPE" ] || [ ! -s "$SRC" ]; then
  echo "== making the $SOURCE_SECONDS-second 720p source (ffmpeg -preset veryfast; several minutes on 2 cores)"
  t0=$(date +%s)
  ffmpeg -v error -nostdin -y "${SRC_ARGS[@]}" "$BENCH_DIR/src/lesson.tmp.mp4"
  mv "$BENCH_DIR/src/lesson.tmp.mp4" "$SRC"
  echo "$SRC_SHAPE" > "$BENCH_DIR/src/shape"
  echo "   made in $(( $(date +%s) - t0 )) s"
fi
PKG=$BENCH_DIR/pkg
if [ ! -f "$PKG/course.toml" ] || [ "$PKG/lesson.mp4" -ot "$SRC" ]; then
  rm -rf "$PKG" && mkdir -p "$PKG"
  ln "$SRC" "$PKG/lesson.mp4" 2>/dev/null || cp "$SRC" "$PKG/lesson.mp4"
  cat > "$PKG/course.toml" <<'EOF'
format = 1
slug = "rural-bench"
title = "农村网络基准：十分钟视频课"

[[lessons]]
id = "video"
title = "十分钟视频课（720p）"
kind = "video"
file = "lesson.mp4"
EOF
fi
SRC_INFO=$(ffprobe -v error -show_entries format=duration,bit_rate -show_entries stream=codec_name,width,height \
  -of default=nw=1:nk=0 "$SRC" | tr '\n' ' ')

# ------------------------------------------------------------------ processes
RUN=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
stop() { # pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
wait_http() { # url pid: until the server answers, or it exits, or 60 s pass
  local tries=600
  until curl -s -o /dev/null "$1"; do
    if ! kill -0 "$2" 2>/dev/null || [ $((tries -= 1)) -le 0 ]; then
      echo "rural.sh: nothing answers at $1 (process $2; logs in $RUN)" >&2; KEEP=1; exit 1
    fi
    sleep 0.1
  done
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

export COURSEWARE_ADMIN_PASSWORD=bench-password-1 COURSEWARE_LOG=warn
SERVER_PID=""
start_server() { # data-dir host port log [env...]
  local data=$1 host=$2 port=$3 log=$4
  shift 4
  env "$@" COURSEWARE_CONTENT_BIND="$host:$((port + 1))" \
    "$COURSEWARE_BIN" --data-dir "$data" --bind "$host:$port" >> "$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_http "http://$host:$port/healthz" "$SERVER_PID"
}

# ------------------------------------------------------------------ data dirs
# Keyed by what decides their content: the source, the ladder (src/media/transcode.rs) and
# the migrations. Not by the binary's hash: encoding takes most of an hour on 2 cores, and
# a newer binary migrates the data dir forward when it starts.
DATA_KEY=$( { printf '%s\n' "$SRC_SHAPE"; cat "$REPO_ROOT/src/media/transcode.rs"; ls "$REPO_ROOT/migrations/sqlite"; } | sha256sum | cut -c1-16)
prepare() { # name env...: prints nothing; leaves $BENCH_DIR/data-<name>-<key> with the course imported
  local name=$1 dir=$BENCH_DIR/data-$1-$DATA_KEY
  shift
  [ -f "$dir/ready" ] && return 0
  rm -rf "$BENCH_DIR"/data-"$name"-* && mkdir -p "$dir"
  echo "== preparing the $name data dir ($dir)"
  local port=$((18000 + RANDOM % 1000)) t0 report course token state=""
  start_server "$dir" 127.0.0.1 "$port" "$RUN/prepare-$name.log" "$@"
  token=$(timeout 60 "$COURSEWARE_BIN" --data-dir "$dir" token create admin 2>/dev/null)
  report=$(timeout 600 "$COURSEWARE_BIN" --data-dir "$dir" import "$PKG" --json)
  course=$(printf '%s' "$report" | head -n 1 | json 'd["course_id"]')
  t0=$(date +%s)
  while :; do
    local jobs
    jobs=$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/courses/$course/renditions")
    local now
    # The state and percent in steps of 10, so the log shows progress without a line every 5 s.
    now=$(printf '%s' "$jobs" | json '" ".join("%s:%s%%" % (v["state"], v["percent"] // 10 * 10) for v in d["videos"])')
    if [ "$now" != "$state" ]; then echo "   $(date +%H:%M:%S) renditions: $now"; state=$now; fi
    case $now in
      done:*|failed:*|unavailable:*) break ;;
    esac
    if [ "$name" = original ] && [ $(( $(date +%s) - t0 )) -gt 30 ]; then break; fi
    sleep 5
  done
  echo "   $name: renditions job ended as '$state' after $(( $(date +%s) - t0 )) s"
  stop "$SERVER_PID"
  printf '%s\n' "$course" > "$dir/course_id"
  printf '%s\n' "$token" > "$dir/token"
  printf '%s\n' "$state" > "$dir/job"
  touch "$dir/ready"
}
prepare adaptive
prepare original COURSEWARE_FFMPEG=/nonexistent/ffmpeg
ADAPTIVE_DIR=$BENCH_DIR/data-adaptive-$DATA_KEY
ORIGINAL_DIR=$BENCH_DIR/data-original-$DATA_KEY
case $(cat "$ADAPTIVE_DIR/job") in
  done:*) ;;
  *) echo "rural.sh: the renditions job ended as '$(cat "$ADAPTIVE_DIR/job")'; see the server log in $ADAPTIVE_DIR" >&2; exit 1 ;;
esac

# ------------------------------------------------------------------ measurements
ip netns list | grep -qw slow || ip netns add slow
declare -A R   # R[link/side/figure]
NOTES=()
EMU_PID=""
start_link() { # delay_ms rate
  : > "$RUN/linkemu-$1.log"
  python3 "$LINKEMU" "$1" "$2" > "$RUN/linkemu-$1.log" 2>&1 &
  EMU_PID=$!
  PIDS+=("$EMU_PID")
  for _ in $(seq 1 100); do
    grep -q 'link up' "$RUN/linkemu-$1.log" && return 0
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "rural.sh: the link emulator did not come up:" >&2; cat "$RUN/linkemu-$1.log" >&2; exit 1
}
page_urls() { # data-dir port: sets VIDEO_PAGE and HTML_PAGE
  local base=http://$HOST_IP:$2 token course courses rice
  token=$(cat "$1/token")
  course=$(cat "$1/course_id")
  VIDEO_PAGE=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/courses/$course" | json 'd["items"][0]["page_url"]')
  courses=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/courses")
  rice=$(printf '%s' "$courses" | json 'next(c["id"] for c in (d["courses"] if isinstance(d, dict) else d) if c.get("slug") == "rice-growing")')
  HTML_PAGE=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/courses/$rice" \
    | json 'next(i["page_url"] for i in d["items"] if i["identifier"] == "field-guide")')
}
player() { # label args...: runs one measurement in the namespace, prints its JSON line
  local label=$1 out
  shift
  out=$(timeout 400 ip netns exec slow python3 "$PLAYER" "$@" 2> "$RUN/player-$label.err" | tail -n 1) || true
  [ -n "$out" ] || out='{"error": "the browser run failed (see player log)"}'
  printf '%s\n' "$out" >> "$RUN/results.jsonl"
  printf '%s' "$out"
}
get() { # json key [default]
  printf '%s' "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); v=d.get('$2'); print('${3:--1}' if v is None else v)"
}

echo "== source: $SRC_INFO"
echo "== load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
for link in $LINKS; do
  case $link in
    1mbit) delay=150; rate=1000000; seek=--seek ;;
    256kbit) delay=300; rate=256000; seek="" ;;
    *) echo "rural.sh: unknown link $link (1mbit or 256kbit)" >&2; exit 1 ;;
  esac
  echo "== $link: linkemu $delay ms each way, $rate bit/s each way (RTT $((2 * delay)) ms)"
  start_link "$delay" "$rate"
  start_server "$ADAPTIVE_DIR" "$HOST_IP" 18080 "$RUN/server-adaptive.log"
  ADAPTIVE_PID=$SERVER_PID
  start_server "$ORIGINAL_DIR" "$HOST_IP" 18090 "$RUN/server-original.log" COURSEWARE_FFMPEG=/nonexistent/ffmpeg
  ORIGINAL_PID=$SERVER_PID
  for side in adaptive original; do
    if [ $side = adaptive ]; then page_urls "$ADAPTIVE_DIR" 18080; base=http://$HOST_IP:18080; else page_urls "$ORIGINAL_DIR" 18090; base=http://$HOST_IP:18090; fi
    echo "   $(date +%H:%M:%S) $side video ($base$VIDEO_PAGE)"
    res=$(player "$link-$side" --url "$base$VIDEO_PAGE" --seconds "$PLAY_SECONDS" $seek)
    if [ $side = adaptive ] && [ $link = 256kbit ]; then
      tall=$(printf '%s' "$res" | python3 -c "import json,sys; d=json.load(sys.stdin); print(max([int(h) for h in d.get('video_heights', {}) if int(h) > 0] + [0]))")
      if [ "$tall" -gt 240 ] || [ "$(get "$res" first_frame_ms)" = -1 ]; then
        NOTES+=("256 kbit/s: \"auto\" played ${tall}p (first frame $(get "$res" first_frame_ms) ms, $(get "$res" stalls_60s) stalls); measured again with 流畅 (240p) chosen")
        R[$link/auto]=$res
        res=$(player "$link-$side-smooth" --url "$base$VIDEO_PAGE" --seconds "$PLAY_SECONDS" --quality smooth)
      else
        NOTES+=("256 kbit/s: \"auto\" played $( [ "$tall" = 0 ] && echo "audio only" || echo "${tall}p") by itself")
      fi
    fi
    R[$link/$side]=$res
    echo "     $res" | cut -c1-400
    if [ $side = adaptive ] && [ $link = 256kbit ]; then
      # What a learner who picks 仅音频 gets (for comparison; not in the last line).
      echo "   $(date +%H:%M:%S) adaptive video with 仅音频 (audio only) chosen"
      R[$link/audio]=$(player "$link-audio" --url "$base$VIDEO_PAGE" --seconds "$PLAY_SECONDS" --quality audio)
      echo "     ${R[$link/audio]}" | cut -c1-400
    fi
    if [ $link = 1mbit ]; then
      echo "   $(date +%H:%M:%S) $side HTML lesson ($base$HTML_PAGE)"
      R[$link/$side/page]=$(player "$link-$side-page" --url "$base$HTML_PAGE" --mode page)
      echo "     ${R[$link/$side/page]}"
    fi
  done
  stop "$ADAPTIVE_PID"
  stop "$ORIGINAL_PID"
  stop "$EMU_PID"
  sleep 1
done

# ------------------------------------------------------------------ report
echo
echo "== results (PLAY_SECONDS=$PLAY_SECONDS; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-10s %-9s %15s %11s %11s %9s %9s  %s\n' link player first_frame_ms stalls_60s stalled_ms played_s seek_ms "what played"
for link in $LINKS; do
  for side in auto adaptive audio original; do
    [ -n "${R[$link/$side]:-}" ] || continue
    res=${R[$link/$side]}
    what=$(printf '%s' "$res" | python3 -c "
import json,sys
d=json.load(sys.stdin)
if d.get('error'): print('ERROR', d['error']); sys.exit()
hs=sorted((int(h) for h in d.get('video_heights',{}) if int(h)>0))
src=d.get('src','').rsplit('/',1)[-1]
print(('%sp' % '/'.join(map(str,hs)) if hs else 'audio only'), src, ('native HLS' if 'm3u8' in src else ''), d.get('quality_now','') or '')")
    printf '%-10s %-9s %15s %11s %11s %9s %9s  %s\n' "$link" "$side" "$(get "$res" first_frame_ms)" "$(get "$res" stalls_60s)" \
      "$(get "$res" stalled_ms)" "$(get "$res" played_s)" "$(get "$res" seek_ms -)" "$what"
  done
done
for side in adaptive original; do
  page=${R[1mbit/$side/page]:-'{}'}
  printf '%s' "$page" | python3 -c "
import json,sys
d=json.load(sys.stdin)
c,w=d.get('cold',{}),d.get('warm',{})
print('HTML lesson page, 1 Mbit/s, $side server: load %s ms cold (%s requests, %s bytes), %s ms warm' % (c.get('load_ms'), c.get('requests'), c.get('bytes'), w.get('load_ms')))" || true
done
for note in "${NOTES[@]}"; do echo "note: $note"; done

A1=${R[1mbit/adaptive]:-'{}'}
A2=${R[256kbit/adaptive]:-'{}'}
PAGE=${R[1mbit/adaptive/page]:-'{}'}
ff1=$(get "$A1" first_frame_ms); st1=$(get "$A1" stalls_60s); sk1=$(get "$A1" seek_ms)
ff2=$(get "$A2" first_frame_ms); st2=$(get "$A2" stalls_60s); lm=$(get "$PAGE" load_ms)
verdict() { # label value limit
  if [ "$2" = -1 ]; then echo "  $1: not measured"
  elif [ "$2" -lt "$3" ]; then echo "  $1: $2 (target < $3) met"
  else echo "  $1: $2 (target < $3) MISSED"; fi
}
echo "targets (adaptive player):"
verdict "1 Mbit/s first frame ms" "$ff1" 2000
verdict "1 Mbit/s stalls in ${PLAY_SECONDS} s" "$st1" 1
verdict "1 Mbit/s seek to the middle ms" "$sk1" 2000
verdict "256 kbit/s first frame ms" "$ff2" 4000
verdict "256 kbit/s stalls in ${PLAY_SECONDS} s" "$st2" 1
verdict "HTML lesson page ms" "$lm" 1000
echo "rural: 1mbit first_frame_ms=$ff1 stalls_60s=$st1 seek_ms=$sk1; 256kbit first_frame_ms=$ff2 stalls_60s=$st2; lesson_ms=$lm"
