#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerates docs/screenshots/viewer-*.png with the viewer's own
# `screenshot` action (GTK's renderer), in the tests' pinned environment;
# the one with a popover is taken from the X screen (x11 below).
# usage: tests/viewer/make_screenshots.sh [BUILD_DIR]   (from the source root;
#        needs xvfb-run and dbus-run-session, or a display and a session bus;
#        python3, xwininfo and libXtst for the scenes that scroll or click)
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
# Waits until the viewer is idle (write-state waits for that), such as for
# the end of an analysis that analyze-series only starts.
idle() {
    rm -f "$HOME/state.ini"
    act write-state "'$HOME/state.ini'"
    i=0; while [ ! -f "$HOME/state.ini" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
}
# What no action reaches (the end of the side panel, a menu's popover, which
# GTK's rendering of the window leaves out), done with X itself: libX11 and
# libXtst through Python's ctypes, the window found by its title with
# xwininfo, points in window coordinates.
#   x11 wheel TITLE X Y N   N notches of the wheel down at (X, Y)
#   x11 click TITLE X Y     a left click at (X, Y)
#   x11 shot TITLE FILE     the window's area of the screen, as X shows it, to PNG
# The pointer leaves the screen after a wheel or a click.
x11() {
    python3 - "$@" <<'PY'
import ctypes, re, struct, subprocess, sys, time, zlib
what, title = sys.argv[1], sys.argv[2]
tree = subprocess.run(["xwininfo", "-root", "-tree"], capture_output=True, text=True).stdout
w, h, ox, oy = next(tuple(int(g) for g in m.groups()) for line in tree.splitlines()
                    if title in line
                    for m in [re.search(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)\s*$", line)]
                    if m)
x11, xtst = ctypes.CDLL("libX11.so.6"), ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
dpy = ctypes.c_void_p(x11.XOpenDisplay(None))
def pointer(x, y):
    xtst.XTestFakeMotionEvent(dpy, -1, x, y, 0)
    x11.XSync(dpy, 0)
    time.sleep(0.2)
def button(b):
    xtst.XTestFakeButtonEvent(dpy, b, 1, 0)
    xtst.XTestFakeButtonEvent(dpy, b, 0, 0)
    x11.XSync(dpy, 0)
    time.sleep(0.05)
if what in ("wheel", "click"):
    pointer(ox + int(sys.argv[3]), oy + int(sys.argv[4]))
    for _ in range(int(sys.argv[5]) if what == "wheel" else 1):
        button(5 if what == "wheel" else 1)
    pointer(100000, 100000)
elif what == "shot":
    class XImage(ctypes.Structure):
        _fields_ = [(n, ctypes.c_int) for n in ("width", "height", "xoffset", "format")] + [
            ("data", ctypes.POINTER(ctypes.c_ubyte))] + [(n, ctypes.c_int) for n in (
                "byte_order", "bitmap_unit", "bitmap_bit_order", "bitmap_pad", "depth",
                "bytes_per_line", "bits_per_pixel")]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XGetImage.restype = ctypes.POINTER(XImage)
    x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_int] * 2 + [
        ctypes.c_uint] * 2 + [ctypes.c_ulong, ctypes.c_int]
    im = x11.XGetImage(dpy, x11.XDefaultRootWindow(dpy), ox, oy, w, h, 0xFFFFFFFF, 2).contents
    assert im.bits_per_pixel == 32, "a 24-bit screen in 32-bit pixels is expected"
    data, rows = ctypes.string_at(im.data, im.bytes_per_line * h), []
    for r in range(h):
        px = data[r * im.bytes_per_line:r * im.bytes_per_line + 4 * w]
        rgb = bytearray(3 * w)
        rgb[0::3], rgb[1::3], rgb[2::3] = px[2::4], px[1::4], px[0::4]
        rows.append(b"\0" + bytes(rgb))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    with open(sys.argv[3], "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))
x11.XCloseDisplay(dpy)
PY
}

start
shot viewer-empty.png
stop

# Dialogs: the screenshot action renders the dialog on top when one is open.
start "$SRC/sample_dicom"
act select-series 4
idle
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
# The reader's corrections on the lesion sample (the shipped model finds one
# 3D lesion, on slice 20, the lesion's thin lower edge, outlined larger than
# it is, and leaves slice 19 not assessable): the reader rejects that lesion
# with a reason and paints the lesion on slice 19 with the brush, which stays
# the active tool; the findings say "Edited by ...".  The edits file goes
# into this run's export folder (under the temporary HOME).
start "$SRC/sample_dicom"
act editor-name "'Dr A Reader'"
act select-series 4
act analyze-series
idle
act goto-slice 19
act reject-lesion "(1, 'Other: the lesion edge, outlined too large')"
act goto-slice 18
act tool "'brush'"
act brush-radius 5.0
act edit-stroke "('brush', 5.0, [78.0, 112.0, 102.0, 112.0, 102.0, 121.0, 78.0, 121.0, 78.0, 130.0, 102.0, 130.0])"
idle
# The side panel scrolled to its end: the series' findings, the lesion's
# Accept / Reject..., "Edited by ...".
x11 wheel '— tumorscope"' 1400 600 20
shot viewer-corrections.png
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
# The comparison window (its default size) with a side's Open menu popped
# up, "From PACS..." in it (the baseline's menu: its popover stays inside
# the window): the normal sample against the codecs study of the same
# patient, the button clicked as a user does; the shot is of the screen, as
# X shows the window and its popover.
start
act compare-open "('$SRC/sample_dicom/01-normal-colin27', '$SRC/sample_dicom/02-codecs-colin27')"
idle
x11 click 'Compare with Prior' 622 95
sleep 1
x11 shot 'Compare with Prior' "$OUT/viewer-compare-from-pacs.png"
echo "wrote docs/screenshots/viewer-compare-from-pacs.png"
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
