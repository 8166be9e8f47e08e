#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora of the fuzz targets into corpus/<target>/.

Maintenance tool, not run by the build: the corpora are committed.  Seeds are
small and synthetic (no patient data): dataset-index lines in the shared
format, the shipped model manifest and variants of it, NIfTI volumes made
here, tiny PNGs of every colour type, and DICOM files cut from sample_dicom/ or written by our own
`tumorscope dicomize` from tiny PNGs, by pydicom, and recompressed by
DCMTK's dcmcjpeg / dcmcjpls / dcmcrle.

    tests/fuzz/make_corpus.py [--tumorscope build/bin/tumorscope] [--only csv,nifti,pacs,...]

Only files named seed-* are rewritten; crash-* and known-* files (inputs
that once crashed a target, pinned as regressions; docs/RELIABILITY.md) are
never touched.
"""
import argparse
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def out_dir(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for name in os.listdir(d):
        if name.startswith("seed-"):
            os.remove(os.path.join(d, name))
    return d


def write(d, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- dataset index (index.csv) ------------------------------------------------

def make_csv():
    d = out_dir("fuzz_csv")
    write(d, "minimal.csv",
          "id,label,label_name,patient_id,split\n"
          "0001,1,meningioma,P001,train\n"
          "0002,2,glioma,P002,val\n"
          "0003,3,pituitary,P003,test\n"
          "0004,0,no_tumor,P004,train\n")
    # The three layouts of shared/data, with synthetic values.
    write(d, "figshare-layout.csv",
          "id,label,label_name,patient_id,orig_rows,orig_cols,split\n"
          "0001,1,meningioma,100001,512,512,train\n"
          "0002,2,glioma,100002,256,256,val\n")
    write(d, "lgg-layout.csv",
          "id,label,label_name,patient_id,slice_index,split,has_mask\n"
          "00001,0,no_tumor,SYNTH_0001_20000101,1,train,0\n"
          "00002,2,glioma,SYNTH_0001_20000101,2,train,1\n")
    write(d, "quoted-crlf-bom.csv",
          "\ufeffid,label,label_name,patient_id,source_file,source_dataset,split\r\n"
          "0001,0,no_tumor,nt-1,a/b.jpg,\"Synthetic, \"\"quoted\"\" source\",train\r\n"
          "0002,0,no_tumor,nt-2,\"multi\nline\",x,test\r\n"
          "\r\n")
    write(d, "columns-reordered.csv",
          "split,patient_id,label_name,label,id,extra\n"
          "train,P9,glioma,2,img-9,\"\"\n"
          "test,P10,no_tumor,-0,img-10,\n")
    write(d, "header-only.csv", "id,label,label_name,patient_id,split")
    # Each is a refusal with a line number.
    write(d, "err-missing-column.csv", "id,label,label_name,split\n1,0,a,train\n")
    write(d, "err-field-count.csv", "id,label,label_name,patient_id,split\n1,0,a,p\n")
    write(d, "err-unterminated-quote.csv", "id,label,label_name,patient_id,split\n1,0,\"a,p,train\n")
    write(d, "err-label-not-integer.csv", "id,label,label_name,patient_id,split\n1,2147483648,a,p,train\n")
    write(d, "err-empty-id.csv", "id,label,label_name,patient_id,split\n,1,a,p,train\n")
    write(d, "err-duplicate-column.csv", "id,label,label_name,patient_id,split,id\n1,0,a,p,train,2\n")
    write(d, "err-text-after-quote.csv", "id,label,label_name,patient_id,split\n\"1\"x,0,a,p,train\n")
    write(d, "empty.csv", "")


# ---- model manifest -------------------------------------------------------------

def make_manifest():
    d = out_dir("fuzz_manifest")
    src = os.path.join(ROOT, "resources", "models")
    shipped = sorted(f for f in os.listdir(src) if f.endswith(".json"))
    with open(os.path.join(src, shipped[0]), "rb") as f:
        text = f.read()
    write(d, "shipped.json", text)
    m = json.loads(text)
    # The keys the parser reads, without the long training/metrics blocks.
    core = {k: m[k] for k in ("format_version", "name", "version", "onnx", "sha256", "outputs",
                              "preprocessing", "classes", "temperature", "thresholds")}
    write(d, "core.json", json.dumps(core))
    minimal = {"format_version": 1, "name": "m", "onnx": "m.onnx", "sha256": "A" * 64,
               "preprocessing": {"rule": "tsc-v1", "input_size": 16},
               "classes": [{"name": "no_tumor"}, {"name": "tumor", "color": "#zzzzzz"}]}
    write(d, "minimal.json", json.dumps(minimal, separators=(",", ":")))
    many = dict(core)
    many["classes"] = [{"name": "no_tumor"}] + [{"name": "c%d" % i, "display": "C %d" % i,
                                                  "color": "#%06X" % (i * 997)} for i in range(15)]
    write(d, "sixteen-classes.json", json.dumps(many))
    bad = [
        ("err-version-2.json", dict(core, format_version=2)),
        ("err-onnx-path.json", dict(core, onnx="../x.onnx")),
        ("err-sha-short.json", dict(core, sha256="abc")),
        ("err-rule.json", dict(core, preprocessing={"rule": "tsc-v2", "input_size": 128})),
        ("err-input-size.json", dict(core, preprocessing={"rule": "tsc-v1", "input_size": 128.5})),
        ("err-no-no-tumor.json", dict(core, classes=[{"name": "a"}, {"name": "b"}])),
        ("err-temperature.json", dict(core, temperature=0)),
        ("err-thresholds.json", dict(core, thresholds={"mask_probability": 1.5})),
        ("err-long-name.json", dict(core, name="n" * 200)),
        ("err-classes-not-array.json", dict(core, classes={"name": "no_tumor"})),
    ]
    for name, obj in bad:
        write(d, name, json.dumps(obj))
    write(d, "err-not-object.json", "[1, 2, 3]")
    write(d, "err-truncated.json", text[:200])
    write(d, "unicode-escapes.json",
          json.dumps(dict(core, name="mod\u00e8le \u2603", version="\ud83d\ude00")).encode())


# ---- NIfTI-1 --------------------------------------------------------------------

DT = {np.uint8: (2, 8), np.int16: (4, 16), np.int32: (8, 32), np.float32: (16, 32),
      np.float64: (64, 64), np.int8: (256, 8), np.uint16: (512, 16), np.uint32: (768, 32)}


def nifti(arr, big_endian=False, slope=0.0, inter=0.0, qform=0, sform=0, pixdim=(1, 1, 1),
          extension=b"", magic=b"n+1\0", units=2, quatern=(0, 0, 0)):
    e = ">" if big_endian else "<"
    code, bitpix = DT[arr.dtype.type]
    h = bytearray(348)
    struct.pack_into(e + "i", h, 0, 348)
    dims = [arr.ndim] + [arr.shape[::-1][i] if i < arr.ndim else 1 for i in range(7)]
    struct.pack_into(e + "8h", h, 40, *dims)
    struct.pack_into(e + "hh", h, 70, code, bitpix)
    struct.pack_into(e + "8f", h, 76, -1.0 if qform else 1.0, *pixdim, 1, 1, 1, 1)
    vox_offset = 352 + len(extension)
    struct.pack_into(e + "fff", h, 108, float(vox_offset), slope, inter)
    h[123] = units
    struct.pack_into(e + "hh", h, 252, qform, sform)
    struct.pack_into(e + "3f", h, 256, *quatern)
    struct.pack_into(e + "3f", h, 268, -10.0, 20.0, -30.0)
    srow = [[-pixdim[0], 0, 0, 90], [0, pixdim[1], 0, -126], [0, 0, pixdim[2], -72]]
    for r in range(3):
        struct.pack_into(e + "4f", h, 280 + 16 * r, *srow[r])
    h[344:348] = magic
    ext = b"\0\0\0\0" if not extension else b"\1\0\0\0" + extension
    data = arr.astype(arr.dtype.newbyteorder(e)).tobytes()
    return bytes(h) + ext + data


def make_nifti():
    d = out_dir("fuzz_nifti")
    rng = np.random.default_rng(20261124)
    vol = (rng.random((3, 4, 5)) * 200).astype(np.uint8)  # z, y, x
    write(d, "uint8-sform.nii", nifti(vol, sform=2, pixdim=(0.9, 0.9, 5)))
    i16 = (rng.integers(-300, 3000, (2, 5, 6))).astype(np.int16)
    write(d, "int16-scaled-qform.nii.gz",
          gzip.compress(nifti(i16, slope=0.5, inter=-12, qform=1, quatern=(0.1, 0.2, 0.3)), mtime=0))
    write(d, "float32-big-endian.nii",
          nifti(rng.standard_normal((2, 3, 4)).astype(np.float32), big_endian=True, units=1))
    f64 = rng.standard_normal((1, 2, 3))
    f64[0, 0, 0] = np.nan
    f64[0, 1, 2] = np.inf
    write(d, "float64-nonfinite.nii", nifti(f64, qform=1, quatern=(1, 0, 0), units=3))
    for t in (np.int8, np.uint16, np.int32, np.uint32):
        write(d, "%s-2d.nii" % np.dtype(t).name, nifti((rng.random((3, 4)) * 100).astype(t)))
    write(d, "4d-with-extension.nii",
          nifti((rng.random((2, 2, 3, 3)) * 9).astype(np.uint8), extension=b"x" * 12))
    gz = gzip.compress(nifti(vol), mtime=0)
    write(d, "concatenated-members.nii.gz",
          gzip.compress(nifti(vol)[:200], mtime=0) + gzip.compress(nifti(vol)[200:], mtime=0))
    write(d, "err-truncated-gzip.nii.gz", gz[: len(gz) // 2])
    write(d, "err-truncated.nii", nifti(vol)[:-7])
    write(d, "err-pair-header.nii", nifti(vol, magic=b"ni1\0"))
    nifti2 = bytearray(nifti(vol))
    struct.pack_into("<i", nifti2, 0, 540)
    write(d, "err-nifti2.nii", bytes(nifti2))
    write(d, "err-header-only.nii", nifti(vol)[:348])


# ---- DICOM ----------------------------------------------------------------------

def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def png_bytes(w, h, bits, color_type, rows, plte=b"", trns=b"", interlace=0, extra=b""):
    """A PNG from raw filtered scanlines (each starting with its filter byte)."""
    def chunk(t, body):
        return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0,
                                                                  interlace))
    if plte:
        out += chunk(b"PLTE", plte)
    if trns:
        out += chunk(b"tRNS", trns)
    return out + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def make_png():
    d = out_dir("fuzz_png")
    rng = np.random.default_rng(11)

    def scan(h, row_bytes, fill=None):
        return b"".join(bytes([y % 5]) + (bytes(rng.integers(0, 256, row_bytes, dtype=np.uint8))
                                          if fill is None else fill * row_bytes) for y in range(h))
    write(d, "gray8.png", png_bytes(7, 5, 8, 0, scan(5, 7)))
    write(d, "gray16.png", png_bytes(4, 3, 16, 0, scan(3, 8)))
    write(d, "gray1.png", png_bytes(9, 2, 1, 0, scan(2, 2)))
    write(d, "gray4-trns.png", png_bytes(5, 2, 4, 0, scan(2, 3), trns=b"\0\3"))
    write(d, "palette.png", png_bytes(4, 4, 8, 3, b"".join(b"\0" + bytes([0, 1, 2, 1]) for _ in range(4)),
                                      plte=bytes(range(9)), trns=b"\xff\x80"))
    write(d, "rgb8.png", png_bytes(3, 3, 8, 2, scan(3, 9)))
    write(d, "rgba16.png", png_bytes(2, 2, 16, 6, scan(2, 16)))
    write(d, "gray-alpha8.png", png_bytes(3, 2, 8, 4, scan(2, 6)))
    # Adam7 needs the passes' scanlines; for 1x1 that is a single pass.
    write(d, "interlaced-1x1.png", png_bytes(1, 1, 8, 0, b"\0\x7f", interlace=1))
    text = struct.pack(">I", 5) + b"tEXtkey\0v" + struct.pack(">I", zlib.crc32(b"tEXtkey\0v"))
    write(d, "with-text-chunk.png", png_bytes(2, 2, 8, 0, scan(2, 2), extra=text))
    with open(os.path.join(ROOT, "sample_dicom/03-synthetic-lesion/ground-truth-mask/IM0026.png"), "rb") as f:
        write(d, "sample-mask.png", f.read())
    good = png_bytes(7, 5, 8, 0, scan(5, 7))
    write(d, "err-truncated.png", good[:-20])
    write(d, "err-bad-crc.png", good[:30] + bytes([good[30] ^ 1]) + good[31:])
    write(d, "err-signature.png", b"\x89PNX" + good[5:])


def tiny_pngs(folder, n, w, h, bits):
    """n grayscale PNG slices (w x h), the input of dicomize."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(7)
    for k in range(n):
        a = (rng.random((h, w)) * (255 if bits == 8 else 4095)).astype(np.uint8 if bits == 8 else ">u2")
        raw = b"".join(b"\0" + a[y].tobytes() for y in range(h))
        with open(os.path.join(folder, "s%02d.png" % (k + 1)), "wb") as f:
            f.write(png_bytes(w, h, bits, 0, raw))


def make_dicom(tumorscope):
    import pydicom
    warnings.filterwarnings("ignore", module="pydicom")  # the odd values are on purpose
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence
    from pydicom.uid import (ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian,
                             JPEG2000Lossless, generate_uid)

    d = out_dir("fuzz_dicom_load")
    tmp = tempfile.mkdtemp(prefix="tsc-corpus-")
    try:
        sample = os.path.join(ROOT, "sample_dicom")
        # Whole small files of the sample studies, one per codec.
        for name, rel in [("sample-jpegls.dcm", "01-normal-colin27/t1-axial/IM0026.dcm"),
                          ("sample-rle-signed-rescale.dcm", "02-codecs-colin27/rle-signed-rescale/IM0013.dcm"),
                          ("sample-jpeg-lossless.dcm", "02-codecs-colin27/jpeg-lossless/IM0013.dcm")]:
            with open(os.path.join(sample, rel), "rb") as f:
                write(d, name, f.read())
        # Cut copies: the enhanced object's header and first frames; a
        # single-frame file cut inside its pixel data.
        with open(os.path.join(sample, "02-codecs-colin27/enhanced-multiframe/IM0001.dcm"), "rb") as f:
            b = f.read()
        # Keep the offset table and the first frame's fragment, then close
        # the pixel data: 26 frames declared, one present.
        at = b.index(b"\xe0\x7f\x10\x00OB\0\0\xff\xff\xff\xff") + 12
        for _ in range(2):
            assert b[at:at + 4] == b"\xfe\xff\x00\xe0"
            at += 8 + struct.unpack_from("<I", b, at + 4)[0]
        write(d, "sample-enhanced-first-frame-only.dcm", b[:at] + b"\xfe\xff\xdd\xe0\0\0\0\0")
        with open(os.path.join(sample, "03-synthetic-lesion/t1-post-contrast/IM0013.dcm"), "rb") as f:
            write(d, "sample-lesion-cut.dcm", f.read()[:2000])

        # Our own writer, on tiny slices, in every compression it offers.
        if tumorscope:
            pngs = os.path.join(tmp, "png")
            tiny_pngs(pngs, 3, 8, 6, 16)
            for kind in ("none", "deflate", "rle", "jpeg-ls", "jpeg-lossless"):
                for mf in (False, True):
                    o = os.path.join(tmp, "dz-%s-%d" % (kind, mf))
                    run(tumorscope, "dicomize", "--out", o, "--compress", kind, "--uid-seed", "fuzz",
                        "--patient-name", "Fuzz^Seed", "--patient-id", "FUZZ-0001",
                        "--study-date", "20240101", "--study-time", "120000",
                        *(["--multiframe"] if mf else []), pngs)
                    first = sorted(os.listdir(o))[0]
                    with open(os.path.join(o, first), "rb") as f:
                        write(d, "dicomize-%s%s.dcm" % (kind, "-multiframe" if mf else ""), f.read())

        # Odd but legal objects, uncompressed, by pydicom.
        def base(rows, cols, bits, signed=False, spp=1, photometric="MONOCHROME2"):
            ds = Dataset()
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
            ds.SOPInstanceUID = generate_uid(entropy_srcs=["fuzz", str(rows), str(bits), photometric])
            ds.Modality = "MR"
            ds.PatientName = "Fuzz^J\u00f6rg"
            ds.PatientID = "FUZZ-0002"
            ds.StudyInstanceUID = "2.25.1"
            ds.SeriesInstanceUID = "2.25.1.%d" % bits
            ds.SeriesDescription = "T2 FLAIR axial"
            ds.InstanceNumber = 1
            ds.ImagePositionPatient = [0, 0, 0]
            ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
            ds.PixelSpacing = [0.5, 0.5]
            ds.Rows, ds.Columns = rows, cols
            ds.SamplesPerPixel = spp
            ds.PhotometricInterpretation = photometric
            ds.BitsAllocated = 8 if bits <= 8 else (16 if bits <= 16 else 32)
            ds.BitsStored = bits
            ds.HighBit = bits - 1
            ds.PixelRepresentation = 1 if signed else 0
            if spp == 3:
                ds.PlanarConfiguration = 0
            n = rows * cols * spp
            dt = {8: np.uint8, 16: np.uint16, 32: np.uint32}[ds.BitsAllocated]
            ds.PixelData = (np.arange(n) * 37 % (1 << min(bits, 16))).astype(dt).tobytes()
            return ds

        def save(name, ds, ts, preamble=True):
            meta = FileMetaDataset()
            meta.MediaStorageSOPClassUID = ds.SOPClassUID
            meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            meta.TransferSyntaxUID = ts
            ds.file_meta = meta
            ds.is_little_endian = ts != ExplicitVRBigEndian
            ds.is_implicit_VR = ts == ImplicitVRLittleEndian
            p = os.path.join(tmp, name)
            if preamble:
                ds.save_as(p, write_like_original=False)
            else:
                del ds.file_meta
                ds.save_as(p, write_like_original=True)
            return p

        def keep(name, path):
            with open(path, "rb") as f:
                write(d, name, f.read())

        ds = base(5, 4, 8, photometric="MONOCHROME1")
        ds.WindowCenter, ds.WindowWidth = 100, 200
        keep("implicit-mono1-8bit.dcm", save("a.dcm", ds, ImplicitVRLittleEndian))
        ds = base(4, 6, 12, signed=True)
        ds.RescaleSlope, ds.RescaleIntercept = "2.5", "-1024"
        keep("big-endian-signed-12bit.dcm", save("b.dcm", ds, ExplicitVRBigEndian))
        keep("rgb-8bit.dcm", save("c.dcm", base(3, 4, 8, spp=3, photometric="RGB"), ExplicitVRLittleEndian))
        keep("bare-dataset-no-meta.dcm", save("e.dcm", base(2, 3, 16), ImplicitVRLittleEndian, preamble=False))
        ds = base(4, 4, 16)
        ds.NumberOfFrames = 3
        ds.PixelData = bytes(range(96))
        keep("legacy-multiframe.dcm", save("f.dcm", ds, ExplicitVRLittleEndian))
        ds = base(4, 4, 32)
        ds.PixelData = bytes(range(64))
        keep("32bit.dcm", save("g.dcm", ds, ExplicitVRLittleEndian))
        ds = base(2, 2, 16)
        ds.PixelData = b""
        keep("err-empty-pixel-data.dcm", save("h.dcm", ds, ExplicitVRLittleEndian))
        # A transfer syntax we do not decode (skipped with a reason).
        from pydicom.encaps import encapsulate
        ds = base(2, 2, 16)
        ds.PixelData = encapsulate([b"\xff\x4f\xff\x51" + bytes(12)])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        p = save("i.dcm", ds, ExplicitVRLittleEndian)
        ds = pydicom.dcmread(p)
        ds.file_meta.TransferSyntaxUID = JPEG2000Lossless
        ds.save_as(p)
        keep("err-jpeg2000.dcm", p)
        # Enhanced MR with functional groups, by pydicom.
        ds = base(3, 3, 16)
        ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4.1"
        ds.NumberOfFrames = 2
        del ds.ImagePositionPatient, ds.ImageOrientationPatient, ds.PixelSpacing
        shared = Dataset()
        pm = Dataset()
        pm.PixelSpacing = [0.8, 0.8]
        pm.SliceThickness = 3
        shared.PixelMeasuresSequence = Sequence([pm])
        po = Dataset()
        po.ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
        shared.PlaneOrientationSequence = Sequence([po])
        ds.SharedFunctionalGroupsSequence = Sequence([shared])
        frames = []
        for k in range(2):
            fr = Dataset()
            pp = Dataset()
            pp.ImagePositionPatient = [0, 3.0 * k, 0]
            fr.PlanePositionSequence = Sequence([pp])
            fc = Dataset()
            fc.InStackPositionNumber = 2 - k
            fr.FrameContentSequence = Sequence([fc])
            pvt = Dataset()
            pvt.RescaleSlope, pvt.RescaleIntercept = "1", str(k * 10)
            fr.PixelValueTransformationSequence = Sequence([pvt])
            voi = Dataset()
            voi.WindowCenter, voi.WindowWidth = 50, 100
            fr.FrameVOILUTSequence = Sequence([voi])
            frames.append(fr)
        ds.PerFrameFunctionalGroupsSequence = Sequence(frames)
        ds.PixelData = bytes(range(36))
        keep("enhanced-functional-groups.dcm", save("j.dcm", ds, ExplicitVRLittleEndian))
        # DCMTK's own encoders on an 8-bit image: JPEG baseline (lossy) and
        # JPEG-LS near-lossless, which dicomize does not write.
        src = save("k.dcm", base(16, 16, 8), ExplicitVRLittleEndian)
        run("dcmcjpeg", "+eb", src, os.path.join(tmp, "k-jpeg.dcm"))
        keep("dcmtk-jpeg-baseline.dcm", os.path.join(tmp, "k-jpeg.dcm"))
        run("dcmcjpls", "+en", src, os.path.join(tmp, "k-jls.dcm"))
        keep("dcmtk-jpegls-near.dcm", os.path.join(tmp, "k-jls.dcm"))
        rgb = save("l.dcm", base(8, 8, 8, spp=3, photometric="RGB"), ExplicitVRLittleEndian)
        run("dcmcrle", rgb, os.path.join(tmp, "l-rle.dcm"))
        keep("dcmtk-rle-rgb.dcm", os.path.join(tmp, "l-rle.dcm"))
        # A DICOMDIR whose records point at a file, a missing file and out
        # of the medium.
        dd = Dataset()
        dd.FileSetID = "FUZZ"
        recs = []
        for fid in (["IM0001.dcm"], ["MISSING", "IM9"], ["..", "etc"], ["DICOMDIR"]):
            r = Dataset()
            r.DirectoryRecordType = "IMAGE"
            r.ReferencedFileID = fid
            recs.append(r)
        dd.DirectoryRecordSequence = Sequence(recs)
        dd.SOPClassUID = "1.2.840.10008.1.3.10"
        dd.SOPInstanceUID = "2.25.2"
        keep("dicomdir.dcm", save("DICOMDIR", dd, ExplicitVRLittleEndian))
        write(d, "err-not-dicom.txt", b"this is not a DICOM file at all\n" * 8)
        write(d, "err-short.dcm", b"\x08\x00\x05\x00")
    finally:
        shutil.rmtree(tmp)


# ---- a data set received by our Store SCP (fuzz_pacs_receive) -------------------

# The study fuzz_pacs_receive retrieves: the lesion sample's.
PACS_STUDY = "2.25.212653863236164759780331104116971136268"


def make_pacs_receive():
    """First byte: 1 explicit VR little endian, 0 implicit; then the data set
    as a C-STORE carries it (no meta header), without the pixels to stay
    small, and variants: another study, unsafe SOP Instance UIDs, truncated,
    an absurd length."""
    d = out_dir("fuzz_pacs_receive")
    src = os.path.join(ROOT, "sample_dicom", "03-synthetic-lesion", "t1-post-contrast", "IM0001.dcm")
    tmp = tempfile.mkdtemp()
    try:
        def dataset(name, explicit, *modify):
            f = os.path.join(tmp, name)
            shutil.copyfile(src, f)
            run("dcmodify", "-nb", "-ie", "-e", "(7fe0,0010)", *modify, f)
            out = f + ".ds"
            run("dcmconv", "-F", "+ti" if not explicit else "+te", f, out)
            with open(out, "rb") as fh:
                return bytes([1 if explicit else 0]) + fh.read()
        ok = dataset("ok", True)
        write(d, "explicit.bin", ok)
        write(d, "implicit.bin", dataset("imp", False))
        write(d, "other-study.bin", dataset("other", True, "-m", "StudyInstanceUID=1.2.3.4"))
        write(d, "uid-slash.bin", dataset("slash", True, "-m", "SOPInstanceUID=1.2/../../3"))
        write(d, "uid-dots.bin", dataset("dots", True, "-m", "SOPInstanceUID=.."))
        write(d, "no-sop-class.bin", dataset("nocls", True, "-e", "SOPClassUID"))
        write(d, "truncated.bin", ok[: len(ok) // 2])
        # (0008,0016) UI with a length of 0xfffffff0 at the start.
        write(d, "absurd-length.bin", b"\x01\x08\x00\x16\x00UI\xf0\xff" + ok[1:])
        write(d, "absurd-length-ob.bin", b"\x01\x09\x00\x10\x10OB\0\0\xf0\xff\xff\xff" + ok[1:])
        write(d, "empty.bin", b"\x01")
    finally:
        shutil.rmtree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tumorscope", help="tumorscope binary for the dicomize seeds")
    ap.add_argument("--only", default="csv,manifest,nifti,png,dicom,pacs")
    a = ap.parse_args()
    parts = a.only.split(",")
    if "csv" in parts:
        make_csv()
    if "manifest" in parts:
        make_manifest()
    if "nifti" in parts:
        make_nifti()
    if "png" in parts:
        make_png()
    if "dicom" in parts:
        if not a.tumorscope:
            sys.exit("--tumorscope is needed for the DICOM seeds (dicomize)")
        make_dicom(a.tumorscope)
    if "pacs" in parts:
        make_pacs_receive()
    total = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(CORPUS) for f in fs)
    print("corpus: %d bytes" % total)


if __name__ == "__main__":
    main()
