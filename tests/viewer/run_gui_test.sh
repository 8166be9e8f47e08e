#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs a GUI test with a display and a private D-Bus session bus, so that
# parallel tests never share the org.tumorscope.Viewer name.
# usage: run_gui_test.sh PROGRAM ARGS...
if ! command -v dbus-run-session >/dev/null 2>&1; then
    echo "SKIP: dbus-run-session is not installed (Debian: dbus)"; exit 77
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    if ! command -v xvfb-run >/dev/null 2>&1; then
        echo "SKIP: no display and xvfb-run is not installed (Debian: xvfb)"; exit 77
    fi
    exec xvfb-run -a -s "-screen 0 1600x1000x24" dbus-run-session -- "$@"
fi
exec dbus-run-session -- "$@"
