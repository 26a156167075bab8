#!/usr/bin/env bash
# Import benchmark: `courseware import` of a ~1 GB course package against a plain
# `unzip` + `sha256sum` of the same archive on the same machine.
#
# What it does:
#   1. Generates (once; cached in $BENCH_DIR) a ~1 GB package in the native format
#      (docs/package-format.md): course.toml, 4 incompressible "videos" of 220 MiB
#      and 3,000 small files of 4-64 KiB (HTML/text partly compressible, images not),
#      zipped with `zip -q -r -n .mp4` (deflate, videos stored as real tools do).
#   2. Baseline: `unzip -q -o pkg.zip -d out && find out -type f -exec sha256sum {} +`.
#   3. Ours:     `courseware --data-dir <fresh dir> import pkg.zip --json`.
#   4. Prints wall time, peak RSS, ours/baseline ratio and whether the targets are met.
#
# Method (all on a warm page cache):
#   - the archive is read once before timing so it sits in the page cache;
#   - each side runs twice, alternating (baseline, ours, baseline, ours), and the
#     better (lower) wall time of the two runs is reported for each side: the machine
#     is shared and noisy, and the minimum is the run least disturbed by other load;
#   - peak RSS is the larger of the two runs (conservative for the RSS target);
#   - before every run the previous output is deleted and `sync` is called (outside the
#     timing), so no run pays for writing back the previous run's dirty pages;
#   - a fresh output folder / data dir is used for every run;
#   - timing and peak RSS come from GNU time (`/usr/bin/time -f '%e %M %U %S'`; %M is the
#     peak RSS in KiB of the largest process in the measured tree). CPU time (user + sys)
#     is printed too, for information: it is far less disturbed by other load than wall
#     time, but the targets are judged on wall time.
# Note the sides are not identical in durability: ours fsyncs every blob before renaming
# it into place (and commits a SQLite transaction), unzip never fsyncs.
#
# No network is used, except `apt-get install time` when /usr/bin/time is missing, and
# `cargo build --release` (crates may be fetched) when the default binary is missing.
#
# Environment:
#   BENCH_DIR       work folder (default /tmp/courseware-bench); the package is cached here
#   COURSEWARE_BIN  release binary (default <repo>/target/release/courseware; built if missing)
#
# Exits 0 whenever the measurement could be made, whether or not the targets are met.

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/courseware-bench}
COURSEWARE_BIN=${COURSEWARE_BIN:-$REPO_ROOT/target/release/courseware}

# Package shape. Changing any of these regenerates the cached package.
VIDEOS=4            # number of .mp4 files
VIDEO_MIB=220       # size of each, MiB, from /dev/urandom (video does not compress)
SMALL_FILES=3000    # number of small files
SMALL_MIN_KIB=4     # small file sizes are uniform in [SMALL_MIN_KIB, SMALL_MAX_KIB]
SMALL_MAX_KIB=64
SHAPE="v1 videos=$VIDEOS x ${VIDEO_MIB}MiB small=$SMALL_FILES x ${SMALL_MIN_KIB}-${SMALL_MAX_KIB}KiB"

# Targets.
TARGET_RATIO=1.5    # ours / baseline wall time, at most
TARGET_RSS_MB=100   # peak RSS of ours, MB (10^6 bytes), below

PKG=$BENCH_DIR/pkg.zip
STAMP=$BENCH_DIR/pkg.shape

log() { printf '[bench] %s\n' "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

mkdir -p "$BENCH_DIR"

# --- tools -------------------------------------------------------------------------

# GNU time gives peak RSS (%M); the bash keyword `time` does not. Debian ships it in
# the `time` package, which minimal images leave out.
if [[ ! -x /usr/bin/time ]]; then
    log "/usr/bin/time missing: installing Debian's 'time' package"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get install -y time >&2
fi
for tool in zip unzip sha256sum find; do
    command -v "$tool" >/dev/null || { echo "error: $tool is required" >&2; exit 2; }
done

# The release binary: build it when the default path is missing; a path given in
# COURSEWARE_BIN must already exist.
if [[ ! -x $COURSEWARE_BIN ]]; then
    if [[ $COURSEWARE_BIN == "$REPO_ROOT/target/release/courseware" ]]; then
        log "building the release binary (cargo build --release)"
        (cd "$REPO_ROOT" && cargo build --release >&2)
    else
        echo "error: COURSEWARE_BIN=$COURSEWARE_BIN is not an executable" >&2
        exit 2
    fi
fi

# --- 1. the package (generated once) ---------------------------------------------

# Writes a small HTML page of about $2 bytes to $1: a fixed template (compresses well)
# plus base64 of random bytes (compresses to ~75%), so the page is partly compressible.
make_html() {
    local path=$1 size=$2 i=$3
    {
        printf '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">\n'
        printf '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        printf '<title>第 %d 页 Page %d</title></head><body>\n<h1>第 %d 页</h1>\n' "$i" "$i" "$i"
        # Half of the page: a repeated paragraph (compressible).
        local para='<p>水稻种植需要合理的水分管理和病虫害防治。Rice needs careful water management and pest control.</p>'
        local n=$(( size / 2 / ${#para} + 1 ))
        for ((k = 0; k < n; k++)); do printf '%s\n' "$para"; done
        # The other half: random text (barely compressible).
        printf '<pre>\n'
        head -c $(( size * 3 / 8 )) /dev/urandom | base64 -w 76
        printf '</pre>\n</body></html>\n'
    } > "$path"
}

generate_package() {
    local src=$BENCH_DIR/src
    rm -rf "$src" "$PKG" "$PKG.tmp" "$STAMP"
    mkdir -p "$src/media" "$src/pages" "$src/images" "$src/notes"
    log "generating the package in $src ($SHAPE)"

    # Fixed seed: the same file sizes on every generation (the content is random).
    RANDOM=20240601

    # Videos: incompressible random data, named .mp4, with two caption tracks each.
    for ((v = 1; v <= VIDEOS; v++)); do
        head -c "${VIDEO_MIB}M" /dev/urandom > "$src/media/video-$v.mp4"
        for lang in zh-CN en; do
            printf 'WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nLesson %d (%s)\n' "$v" "$lang" \
                > "$src/media/video-$v.$lang.vtt"
        done
    done

    # Small files: a third each HTML (partly compressible), plain text (very compressible,
    # a repeated line) and "images" (random bytes, incompressible), 4-64 KiB each.
    local i size
    for ((i = 1; i <= SMALL_FILES; i++)); do
        size=$(( (SMALL_MIN_KIB + RANDOM % (SMALL_MAX_KIB - SMALL_MIN_KIB + 1)) * 1024 ))
        case $(( i % 3 )) in
            0) make_html "$src/pages/page-$i.html" "$size" "$i" ;;
            # (`|| true`: `yes` dies of SIGPIPE when head is done, which pipefail would
            # otherwise turn into a failure.)
            1) { yes "Note $i: keep the seedbed moist, transplant at the 3-4 leaf stage." || true; } \
                   | head -c "$size" > "$src/notes/note-$i.txt" ;;
            2) head -c "$size" /dev/urandom > "$src/images/image-$i.png" ;;
        esac
    done

    # The manifest: one lesson per video, plus a few of the small files. The rest of the
    # small files are not referenced (allowed; they are still stored).
    {
        cat <<'EOF'
format = 1
slug = "bench-import"
title = "导入基准测试课程"
title_en = "Import benchmark course"
description = "用于测量导入速度的课程包。"
description_en = "A course package for measuring import speed."
subject = "agriculture"
grade = "adult"
language = "zh-CN"
EOF
        for ((v = 1; v <= VIDEOS; v++)); do
            cat <<EOF

[[lessons]]
id = "video-$v"
title = "视频 $v"
title_en = "Video $v"
kind = "video"
file = "media/video-$v.mp4"
duration_seconds = 600
captions = [
  { file = "media/video-$v.zh-CN.vtt", lang = "zh-CN", label = "中文" },
  { file = "media/video-$v.en.vtt", lang = "en", label = "English" },
]
EOF
        done
        cat <<'EOF'

[[lessons]]
id = "page-3"
title = "图文 3"
kind = "html"
file = "pages/page-3.html"

[[lessons]]
id = "image-2"
title = "图片 2"
kind = "image"
file = "images/image-2.png"

[[lessons]]
id = "note-1"
title = "笔记 1"
kind = "file"
file = "notes/note-1.txt"
required = false
EOF
    } > "$src/course.toml"

    # Zip the folder's contents (course.toml at the archive root); deflate everything
    # except .mp4, which is stored (-n), as real packaging tools do for media.
    log "zipping"
    (cd "$src" && zip -q -r -n .mp4 "$PKG.tmp" .)
    mv "$PKG.tmp" "$PKG"
    rm -rf "$src"
    echo "$SHAPE" > "$STAMP"
}

if [[ -f $PKG && -f $STAMP && $(cat "$STAMP") == "$SHAPE" ]]; then
    log "using cached package $PKG"
else
    generate_package
fi

PKG_BYTES=$(stat -c %s "$PKG")
UNCOMPRESSED=$(unzip -Zt "$PKG" | sed -n 's/.* \([0-9]*\) bytes uncompressed.*/\1/p')
ENTRIES=$(unzip -Zt "$PKG" | awk '{print $1}')
log "package: $ENTRIES entries, $PKG_BYTES bytes zipped, $UNCOMPRESSED bytes uncompressed"

# --- measurement helpers -----------------------------------------------------------

RUNS=$BENCH_DIR/runs
# Whatever happens, leave no extracted files or data dirs behind (the package stays).
trap 'rm -rf "$BENCH_DIR/unzip-out" "$BENCH_DIR"/data.*' EXIT
rm -rf "$RUNS"
mkdir -p "$RUNS"

# Warm the page cache with the archive, so both sides read it from memory.
cat "$PKG" > /dev/null

# measure NAME CMD...: runs CMD under GNU time; prints "seconds peak_rss_kib cpu_seconds".
# Stdout/stderr of CMD go to $RUNS/NAME.out / .err; a failure is reported and aborts.
measure() {
    local name=$1; shift
    local t=$RUNS/$name.time
    sync   # flush the previous run's dirty pages before, not during, this run
    if ! /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" > "$RUNS/$name.out" 2> "$RUNS/$name.err"; then
        echo "error: run $name failed:" >&2
        cat "$RUNS/$name.err" >&2
        tail -n 5 "$RUNS/$name.out" >&2
        exit 2
    fi
    tail -n 1 "$t" | awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }'
}

baseline_run() {
    local out=$BENCH_DIR/unzip-out
    rm -rf "$out"
    measure "$1" bash -c 'unzip -q -o "$1" -d "$2" && find "$2" -type f -exec sha256sum {} + > /dev/null' \
        _ "$PKG" "$out"
    rm -rf "$out"
}

ours_run() {
    local data
    data=$(mktemp -d "$BENCH_DIR/data.XXXXXX")
    measure "$1" env COURSEWARE_IMPORT_DEMO=false COURSEWARE_ADMIN_PASSWORD=bench-password \
        "$COURSEWARE_BIN" --data-dir "$data" import "$PKG" --json
    # The import must have succeeded: its JSON report names the new course.
    if ! grep -q '"course_id"' "$RUNS/$1.out"; then
        echo "error: import did not report a course:" >&2
        cat "$RUNS/$1.out" "$RUNS/$1.err" >&2
        exit 2
    fi
    rm -rf "$data"
}

# --- 2./3. alternate: baseline, ours, baseline, ours ----------------------------------

LOAD_BEFORE=$(load)
log "load average before: $LOAD_BEFORE ($(nproc) CPUs)"
# (Command substitution, not `< <(...)`, so that a failed run stops the script.)
R=$(baseline_run baseline-1); read -r B1_S B1_K B1_C <<< "$R"; log "baseline run 1: ${B1_S}s ${B1_K} KiB, cpu ${B1_C}s"
R=$(ours_run ours-1);         read -r O1_S O1_K O1_C <<< "$R"; log "ours run 1:     ${O1_S}s ${O1_K} KiB, cpu ${O1_C}s"
R=$(baseline_run baseline-2); read -r B2_S B2_K B2_C <<< "$R"; log "baseline run 2: ${B2_S}s ${B2_K} KiB, cpu ${B2_C}s"
R=$(ours_run ours-2);         read -r O2_S O2_K O2_C <<< "$R"; log "ours run 2:     ${O2_S}s ${O2_K} KiB, cpu ${O2_C}s"
LOAD_AFTER=$(load)

# --- 4. report ---------------------------------------------------------------------

awk -v b1="$B1_S" -v b2="$B2_S" -v o1="$O1_S" -v o2="$O2_S" \
    -v bk1="$B1_K" -v bk2="$B2_K" -v ok1="$O1_K" -v ok2="$O2_K" \
    -v bc1="$B1_C" -v bc2="$B2_C" -v oc1="$O1_C" -v oc2="$O2_C" \
    -v tr="$TARGET_RATIO" -v trss="$TARGET_RSS_MB" \
    -v size="$UNCOMPRESSED" -v entries="$ENTRIES" -v zipped="$PKG_BYTES" \
    -v lb="$LOAD_BEFORE" -v la="$LOAD_AFTER" -v cpus="$(nproc)" '
function min(a, b) { return a < b ? a : b }
function max(a, b) { return a > b ? a : b }
BEGIN {
    b = min(b1, b2); o = min(o1, o2)
    ratio = (b > 0) ? o / b : 0
    rss_mb = max(ok1, ok2) * 1024 / 1e6       # KiB -> MB
    brss_mb = max(bk1, bk2) * 1024 / 1e6
    printf "\nImport benchmark: %d entries, %.0f MB uncompressed, %.0f MB zipped\n", entries, size / 1e6, zipped / 1e6
    printf "load average %s before, %s after, on %d CPUs; best of 2 alternating runs, warm cache\n\n", lb, la, cpus
    printf "%-28s %10s %10s %10s   %s\n", "", "seconds", "peak MB", "cpu s", "runs (s)"
    printf "%-28s %10.2f %10.1f %10.2f   %s / %s\n", "baseline (unzip+sha256sum)", b, brss_mb, min(bc1, bc2), b1, b2
    printf "%-28s %10.2f %10.1f %10.2f   %s / %s\n", "ours (courseware import)", o, rss_mb, min(oc1, oc2), o1, o2
    printf "%-28s %10.2f\n", "ratio ours/baseline", ratio
    printf "%-28s %10.0f MB/s\n", "ours throughput", size / 1e6 / o
    printf "(seconds: wall, better of 2 runs; peak MB: higher of 2 runs; cpu s: user+sys, lower of 2 runs, for information)\n\n"
    printf "target ratio <= %.2f:   %s (%.2f)\n", tr, (ratio <= tr ? "MET" : "MISSED"), ratio
    printf "target peak RSS < %d MB: %s (%.1f MB)\n", trss, (rss_mb < trss ? "MET" : "MISSED"), rss_mb
}'
exit 0
