#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Makes OUT/ with N DICOM files (default 1000) for the indexing benchmark:
copies of a real series, each copy a new series with consistent new UIDs."""
import os
import sys

import pydicom
from pydicom.uid import generate_uid


def main():
    src, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    files = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".dcm"))
    os.makedirs(out, exist_ok=True)
    made = 0
    copy = 0
    while made < n:
        series_uid = generate_uid(entropy_srcs=[out, str(copy)])
        folder = os.path.join(out, "series%03d" % copy)
        os.makedirs(folder, exist_ok=True)
        for i, f in enumerate(files):
            if made >= n:
                break
            ds = pydicom.dcmread(f)
            ds.SeriesInstanceUID = series_uid
            ds.SOPInstanceUID = generate_uid(entropy_srcs=[out, str(copy), str(i)])
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.save_as(os.path.join(folder, "IM%05d.dcm" % i))
            made += 1
        copy += 1


if __name__ == "__main__":
    main()
