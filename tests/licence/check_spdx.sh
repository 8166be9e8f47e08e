#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Fails when a source file of the repository has no SPDX licence line in its
# first three lines (docs/LICENSES.md).  Run from ctest with the source dir.
set -u
src=${1:-.}
cd "$src" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    list=$(git ls-files)
else
    list=$(find . -type f ! -path './build*' ! -path './.git/*' | sed 's|^\./||')
fi
missing=0
for f in $list; do
    case "$f" in
        *.c|*.h|*.cc|*.cpp|*.py|*.sh|*.cmake|*.ui|*.xml|*CMakeLists.txt|Makefile|*/Makefile|.ci/*) ;;
        *) continue ;;
    esac
    [ -f "$f" ] || continue
    if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier:'; then
        echo "no SPDX-License-Identifier line in the first 3 lines: $f"
        missing=$((missing + 1))
    fi
done
if [ "$missing" -gt 0 ]; then
    echo "$missing source file(s) without a licence line (BSD-3-Clause; GPL-3.0-or-later in app/orthanc)"
    exit 1
fi
echo "every source file names its licence"
