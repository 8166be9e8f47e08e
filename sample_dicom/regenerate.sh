#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerates the sample studies in this folder with our own `tumorscope
# dicomize` (it builds nothing: pass the tumorscope you built).
#
#   sample_dicom/regenerate.sh build/bin/tumorscope [OUT_DIR]
#
# OUT_DIR defaults to this folder; the study folders in it are replaced only
# after all of them were made.  Needs Debian's mricron-data (the Colin27
# template) and /usr/bin/python3 with numpy (for the lesion phantom).
# UIDs come from fixed seeds and dates are fixed, so the output is the same
# byte for byte on the same Debian release.
set -eu

usage() {
    echo "usage: $0 PATH/TO/tumorscope [OUT_DIR]" >&2
    exit 2
}
die() {
    echo "regenerate.sh: $*" >&2
    exit 1
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
TSC=$1
[ -x "$TSC" ] || die "$TSC is not an executable (build tumorscope first)"
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${2:-$HERE}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

TEMPLATES=/usr/share/mricron/templates
CH2=$TEMPLATES/ch2.nii.gz
CH2BET=$TEMPLATES/ch2bet.nii.gz
[ -r "$CH2" ] && [ -r "$CH2BET" ] || die "$CH2 not found: apt-get install mricron-data"
PYTHON=/usr/bin/python3
"$PYTHON" -c 'import numpy' 2>/dev/null || die "$PYTHON with numpy is needed: apt-get install python3-numpy"

work=$(mktemp -d)
new=$(mktemp -d "$OUT/.regenerate.XXXXXX")
trap 'rm -rf "$work" "$new"' EXIT INT TERM

STUDIES="01-normal-colin27 02-codecs-colin27 03-synthetic-lesion"

# Clinical-looking axial slices from the 1 mm template: 256x256 at 0.9 mm,
# 5 mm apart and 5 mm thick (each slice averages 5 mm of the template), from
# the skull base (z = -45 mm) to the vertex (z = 80 mm).  Template values
# (0..255) are scaled by 4 into a usual MR range.
AXIAL="--size 256x256 --spacing 0.9 --scale 4"
FIVE_MM="--slice-spacing 5 --thickness 5 --z-range=-45:80"
TEN_MM="--slice-spacing 10 --thickness 5 --z-range=-45:75"
EQUIPMENT="--manufacturer tumorscope --institution TUMORSCOPE-SAMPLE-DATA-SYNTHETIC"
COLIN="--patient-name Colin27^Template --patient-id SYNTH-COLIN27"
q() { "$TSC" dicomize "$@" > /dev/null; }

# 1. A normal brain: one T1 series, JPEG-LS lossless.
S="--uid-seed tumorscope-sample-01 --study-id 1 --accession SYNTH0001 --study-date 20240101 --study-time 090000"
# shellcheck disable=SC2086
q $AXIAL $FIVE_MM $COLIN $EQUIPMENT $S --compress jpeg-ls \
    --study-description "SYNTHETIC - Brain MRI (Colin27 template)" \
    --series-number 1 --series-description "T1 axial 5mm (Colin27 template)" \
    --sequence-name T1 --out "$new/01-normal-colin27/t1-axial" "$CH2"

# 2. The same brain in one study of three series that exercise decoders:
#    RLE with signed pixels and a Rescale Slope/Intercept (stored = 2*value -
#    1024), JPEG lossless, and an Enhanced MR multi-frame object (JPEG-LS).
#    The gapped series (5 mm slices, 10 mm apart) also exercise thickness !=
#    spacing.  All three share one frame of reference.
S="--uid-seed tumorscope-sample-02 --study-id 2 --accession SYNTH0002 --study-date 20240102 --study-time 100000"
STUDY2="SYNTHETIC - Brain MRI (Colin27 template, decoder test)"
# shellcheck disable=SC2086
q $AXIAL $TEN_MM $COLIN $EQUIPMENT $S --study-description "$STUDY2" --compress rle \
    --signed --rescale-slope 0.5 --rescale-intercept 512 \
    --series-number 1 --series-description "T1 axial 10mm gap, RLE, signed + rescale" \
    --sequence-name T1 --out "$new/02-codecs-colin27/rle-signed-rescale" "$CH2"
# shellcheck disable=SC2086
q $AXIAL $TEN_MM $COLIN $EQUIPMENT $S --study-description "$STUDY2" --compress jpeg-lossless \
    --series-number 2 --series-description "T1 axial 10mm gap, JPEG lossless" \
    --sequence-name T1 --out "$new/02-codecs-colin27/jpeg-lossless" "$CH2"
# shellcheck disable=SC2086
q $AXIAL $FIVE_MM $COLIN $EQUIPMENT $S --study-description "$STUDY2" --compress jpeg-ls --multiframe \
    --series-number 3 --series-description "T1 axial 5mm, Enhanced MR multi-frame" \
    --sequence-name T1 --out "$new/02-codecs-colin27/enhanced-multiframe" "$CH2"

# 3. A synthetic lesion phantom: the template with an added ring-enhancing
#    lesion (make_lesion.py), as a T1 post-contrast series, and its
#    ground-truth mask as PNGs on the same slices.
"$PYTHON" "$HERE/make_lesion.py" "$CH2" "$CH2BET" "$work/lesion.nii" "$work/lesion_mask.nii"
S="--uid-seed tumorscope-sample-03 --study-id 3 --accession SYNTH0003 --study-date 20240103 --study-time 110000"
# shellcheck disable=SC2086
q $AXIAL $FIVE_MM $EQUIPMENT $S --compress jpeg-ls \
    --patient-name "Phantom^Synthetic Lesion" --patient-id SYNTH-LESION-01 \
    --study-description "SYNTHETIC - Brain MRI with lesion phantom" \
    --series-number 1 --series-description "SYNTHETIC LESION - T1 post-contrast phantom" \
    --sequence-name "T1 post-contrast" --contrast "SYNTHETIC gadolinium (phantom)" \
    --mask "$work/lesion_mask.nii" --mask-out "$new/03-synthetic-lesion/ground-truth-mask" \
    --out "$new/03-synthetic-lesion/t1-post-contrast" "$work/lesion.nii"

for s in $STUDIES; do
    rm -rf "${OUT:?}/$s"
    mv "$new/$s" "$OUT/$s"
done
echo "regenerated in $OUT:"
for s in $STUDIES; do
    printf '  %-22s %s\n' "$s" "$(du -sh --apparent-size "$OUT/$s" | cut -f1)"
done
