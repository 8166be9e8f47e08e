#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs the version-2 host (v2_host.c) against the current plugin, with an
# out-of-scope study made at test time: the normal sample relabelled as CT.
# usage: run_v2_host.sh V2_HOST PLUGIN.so SAMPLE_DICOM OUT_DIR
set -e
host=$1 plugin=$2 samples=$3 out=$4
mkdir -p "$out"
ct="$out/v2_host_ct"
rm -rf "$ct"
if command -v dcmodify >/dev/null 2>&1; then
    mkdir -p "$ct"
    cp "$samples"/01-normal-colin27/t1-axial/IM000[1-6].dcm "$ct/"
    dcmodify -nb -m '(0008,0060)=CT' "$ct"/*.dcm >/dev/null 2>&1
    exec "$host" "$plugin" "$samples" "$out" "$ct"
fi
echo "run_v2_host.sh: no dcmodify; the out-of-scope part is left out" >&2
exec "$host" "$plugin" "$samples" "$out"
