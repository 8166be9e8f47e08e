#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerates docs/screenshots/viewer-*.png with the viewer's own
# `screenshot` action (GTK's renderer), in the tests' pinned environment.
# usage: tests/viewer/make_screenshots.sh [BUILD_DIR]   (from the source root;
#        needs xvfb-run and dbus-run-session, or a display and a session bus)
set -eu
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$SRC/build}" && pwd)
OUT=$SRC/docs/screenshots
mkdir -p "$OUT"
if [ -z "${TSC_SCREENSHOTS_INNER:-}" ]; then
    export TSC_SCREENSHOTS_INNER=1
    exec "$SRC/tests/viewer/run_gui_test.sh" "$0" "$BUILD"
fi
export GSK_RENDERER=cairo GSETTINGS_BACKEND=memory
export GSETTINGS_SCHEMA_DIR=$BUILD/share/glib-2.0/schemas
# The shipped default model (resources/models/default.txt): the findings on
# screen are what a user sees on the samples (the GUI tests use the phantom
# test model, which marks white matter on real brains).
export TSC_MODEL_DIR=${TSC_MODEL_DIR:-$SRC/resources/models}
# The window fills the 1600x1000 screen; one set of shots is at 1280x720.
export TSC_VIEWER_WINDOW_SIZE=1600x1000
HOME=$(mktemp -d); export HOME
mkdir -p "$HOME/.config/gtk-4.0"
printf '[Settings]\ngtk-enable-animations=false\n' > "$HOME/.config/gtk-4.0/settings.ini"

act() { gapplication action org.tumorscope.Viewer "$@"; }
shot() {
    rm -f "$OUT/$1"
    act screenshot "'$OUT/$1'"
    i=0; while [ ! -f "$OUT/$1" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
    echo "wrote docs/screenshots/$1"
}
start() {
    "$BUILD/bin/tumorscope-viewer" "$@" >"$HOME/viewer.log" 2>&1 &
    i=0; until gdbus introspect --session --dest org.tumorscope.Viewer \
        --object-path /org/tumorscope/Viewer >/dev/null 2>&1 || [ $i -gt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
stop() { act quit; wait; }

start
shot viewer-empty.png
stop

# Dialogs: the screenshot action renders the dialog on top when one is open.
start "$SRC/sample_dicom"
act select-series 4
act write-state "'$HOME/state.ini'"
i=0; while [ ! -f "$HOME/state.ini" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
act shortcuts
shot viewer-shortcuts.png
stop
start "$SRC/sample_dicom"
act select-series 4
act export-dialog
shot viewer-export-dialog.png
stop
start
act preferences
shot viewer-preferences.png
stop

start "$SRC/sample_dicom"
act select-series 4
act analyze-series
act goto-slice 14
shot viewer-lesion-series.png
act show-heatmap
act overlay-outline
act window-preset "'brain'"
shot viewer-heatmap-outline.png
stop
# The normal sample read as a whole series: "No tumour detected", with the
# ends of the head named not assessable.
start "$SRC/sample_dicom"
act select-series 0
act analyze-series
act goto-slice 13
shot viewer-normal-series.png
stop
# The DICOM tag browser over the normal sample, de-identified (the default):
# pseudonyms, hidden identifying values.
start "$SRC/sample_dicom"
act select-series 0
act goto-slice 13
act tags-search "'name'"
sleep 2
shot viewer-tags.png
stop
# A result stored with the study, as the Orthanc plugin stores it: the lesion
# series beside the SEG and SR that `tumorscope analyze --dicom` wrote for it,
# shown as the series' analysis with where it came from.
mkdir -p "$HOME/stored"
cp "$SRC/sample_dicom/03-synthetic-lesion/t1-post-contrast/"* "$HOME/stored/"
"$BUILD/bin/tumorscope" analyze "$SRC/sample_dicom/03-synthetic-lesion/t1-post-contrast" \
    --dicom --out "$HOME/stored-out" >/dev/null 2>&1 || true
find "$HOME/stored-out" \( -name SEG.dcm -o -name SR.dcm \) -exec cp {} "$HOME/stored/" \;
start "$HOME/stored"
act goto-slice 19
shot viewer-stored-result.png
stop
# A laptop screen: 1280x720, then with both side panels folded (F9, Shift+F9).
TSC_VIEWER_WINDOW_SIZE=1280x720 start "$SRC/sample_dicom"
act select-series 4
act analyze-series
act goto-slice 14
shot viewer-1280x720.png
act show-studies
act show-findings
shot viewer-1280x720-panels-folded.png
stop
# The prior comparison: the GUI cases make the comparison tests' lesion
# phantoms (a baseline and a follow-up with a grown, a shrunk and a new
# lesion), compare them with the phantom test model and take the shots (the
# self-comparison in a narrow window: the viewports stacked).
mkdir -p "$HOME/compare"
compare_shot() {
    TSC_VIEWER_ARTEFACTS=$HOME/compare TSC_MODEL_DIR=$SRC/tests/analysis/fixtures \
        TSC_VIEWER_BIN=$BUILD/bin/tumorscope-viewer TSC_CLI_BIN=$BUILD/bin/tumorscope \
        TSC_VIEWER_SCHEMA_DIR=$GSETTINGS_SCHEMA_DIR TSC_SOURCE_DIR=$SRC \
        "$BUILD/tests/viewer_gui_test" "$1" >/dev/null
    cp "$HOME/compare/$1-$2" "$OUT/$3"
    echo "wrote docs/screenshots/$3"
}
compare_shot viewer_compare_followup_shows_matched_new_rows_and_the_cli_category \
    compare.png viewer-compare.png
compare_shot viewer_compare_study_with_itself_is_all_matched_unchanged_and_stable \
    compare-narrow.png viewer-compare-narrow.png
rm -rf "$HOME"
