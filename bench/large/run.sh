#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Large study: a 2,000-slice series of 512x512 16-bit slices, made with
# `tumorscope dicomize` from a synthetic NIfTI volume, then
#  1. index: wall time and peak RSS of `tumorscope info` (/usr/bin/time -v);
#  2. scroll: every slice decoded in order through the plugin ABI
#     (tsc-bench-large scroll), with no cache and with the viewer's cap of
#     96 slices (TSC_VIEWER_CACHE_MAX_SLICES): peak RSS growth;
#  3. analyse the series through the ABI with the shipped model, cancelled
#     from the progress callback once half the slices are done: cancel
#     latency, slices done, memory;
#  4. the same analysis-with-cancel on a 60-slice series under valgrind
#     (definitely lost must be 0).  With the CNN this takes about 25 minutes
#     on 2 busy cores; VALGRIND=0 skips it, VALGRIND_METHOD=threshold makes
#     it quick (the worker pool and results are the same, oneDNN is not run).
# Prints the figures as Markdown (docs/RELIABILITY.md).
#
# usage: bench/large/run.sh [BUILD_DIR] [WORK_DIR] [SLICES] [THREADS]
# WORK_DIR: where the series go (about 0.5 GB per 1,000 slices); default a
# new temporary folder, removed at the end.  Never inside the repository.
set -eu
BUILD=${1:-build}
WORK=${2:-}
N=${3:-2000}
THREADS=${4:-$(nproc)}
# Idle OpenMP threads sleep, as the CLI and the viewer arrange for themselves
# (docs/ENGINE.md); spinning ones would also make valgrind crawl.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
CLI="$BUILD/bin/tumorscope"
HOST="$BUILD/bin/tsc-bench-large"
PLUGIN="$BUILD/lib/libtumorscope-plugin.so"
for f in "$CLI" "$HOST" "$PLUGIN"; do
    [ -e "$f" ] || { echo "build first: cmake --build $BUILD --target tumorscope tsc-bench-large" >&2; exit 2; }
done
REPO=$(cd "$(dirname "$0")/../.." && pwd -P)
if [ -z "$WORK" ]; then
    WORK=$(mktemp -d)
    trap 'rm -rf "$WORK"' EXIT
else
    mkdir -p "$WORK"
fi
WORK=$(cd "$WORK" && pwd -P)
case "$WORK/" in "$REPO"/*) echo "WORK_DIR must be outside the repository ($REPO)" >&2; exit 2 ;; esac

make_series() { # DIR SLICES
    [ -f "$1/IM0001.dcm" ] && [ "$(ls "$1" | wc -l)" -eq "$2" ] && return 0
    rm -rf "$1"
    spacing=$(awk -v n="$2" 'BEGIN { printf "%.9g", 189 / (n - 1) }')
    "$CLI" dicomize --out "$1" --size 512x512 --spacing 0.45 --slice-spacing "$spacing" \
        --z-range 0:189 --patient-name 'Bench^Large' --patient-id BENCH-LARGE \
        --uid-seed bench-large --series-description "bench large $2" "$WORK/vol.nii" >/dev/null
}
val() { # KEY FILE
    sed -n "s/^$1=//p" "$2" | head -n 1
}

echo "## Large study ($N slices of 512x512)"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
     "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
     "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "- build: $BUILD ($(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null))"
echo "- commands: bench/large/run.sh $*"
echo

"$HOST" make-nifti "$WORK/vol.nii"
t0=$(date +%s.%N)
make_series "$WORK/series$N" "$N"
t1=$(date +%s.%N)
du=$(du -sm "$WORK/series$N" | cut -f1)
echo "| step | figure |"
echo "|---|---|"
echo "| dicomize $N slices (or reuse) | $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'), $du MB on disk |"

# 1. Index.
/usr/bin/time -v "$CLI" info "$WORK/series$N" >/dev/null 2>"$WORK/info.time" || true
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/info.time")
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/info.time")
echo "| \`tumorscope info\` (index $N files, warm page cache) | $wall wall, peak RSS $((rss / 1024)) MiB |"

# 2. Scroll.
for cache in 0 96; do
    "$HOST" scroll "$PLUGIN" "$WORK/series$N" "$cache" >"$WORK/scroll$cache.out"
    f="$WORK/scroll$cache.out"
    echo "| scroll, cache $cache slices: decode per slice | $(val decode_ms_mean "$f") ms mean, $(val decode_ms_max "$f") ms worst |"
    echo "| scroll, cache $cache slices: peak RSS | $(( $(val hwm_after_open_kib "$f") / 1024 )) MiB after opening, +$(( $(val scroll_growth_kib "$f") / 1024 )) MiB while scrolling |"
done

# 3. Analyse, cancel half-way.
method=cnn
ls "$REPO"/resources/models/*.json >/dev/null 2>&1 || method=threshold
"$HOST" cancel "$PLUGIN" "$WORK/series$N" "$method" "$THREADS" 0.5 >"$WORK/cancel.out"
f="$WORK/cancel.out"
echo "| analyse ($method, $(val threads "$f") threads): time per slice before the cancel | $(awk -v s="$(val s_per_slice_before_cancel "$f")" 'BEGIN { printf "%.0f ms", 1000 * s }') |"
echo "| cancel requested at slice $(val cancel_requested_at_slice "$f") of $N | $(val slices_analysed "$f") slices analysed, status $(val status "$f") |"
echo "| cancel latency (request -> analyze_study_series returns) | $(val cancel_latency_ms "$f") ms (in-flight slices $(val cancel_to_last_slice_ms "$f") ms, then the 3D aggregate $(val last_slice_to_return_ms "$f") ms) |"
echo "| analysis memory | RSS +$(( $(val rss_during_analysis_growth_kib "$f") / 1024 )) MiB while the result is held, peak $(( $(val hwm_kib "$f") / 1024 )) MiB, $(( $(val rss_after_free_kib "$f") / 1024 )) MiB after freeing everything |"

# 4. Leaks.
if [ "${VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null; then
    make_series "$WORK/series60" 60
    valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite --error-exitcode=9 \
        "$HOST" cancel "$PLUGIN" "$WORK/series60" "${VALGRIND_METHOD:-$method}" 2 0.5 >"$WORK/vg.out" 2>"$WORK/vg.err" || true
    lost=$(sed -n 's/.*definitely lost: //p' "$WORK/vg.err")
    ind=$(sed -n 's/.*indirectly lost: //p' "$WORK/vg.err")
    pos=$(sed -n 's/.*possibly lost: //p' "$WORK/vg.err")
    reach=$(sed -n 's/.*still reachable: //p' "$WORK/vg.err")
    errs=$(sed -n 's/.*ERROR SUMMARY: //p' "$WORK/vg.err")
    echo "| valgrind, 60 slices, ${VALGRIND_METHOD:-$method}, cancel at 30 | definitely lost ${lost:-0 (no leaks possible)}; indirectly ${ind:-0}; possibly ${pos:-0}; still reachable ${reach:-0}; $errs |"
fi
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
