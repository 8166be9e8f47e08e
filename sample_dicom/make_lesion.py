#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Adds a synthetic, tumour-like lesion to the Colin27 T1 template.

usage: make_lesion.py CH2.nii.gz CH2BET.nii.gz OUT_IMAGE.nii OUT_MASK.nii

The result imitates a ring-enhancing intra-axial mass on a T1 post-contrast
scan: an irregular, thick enhancing wall around a dark (necrotic) core,
surrounding oedema-like T1 hypointensity that follows the white matter, and
mild mass effect.  It is a phantom for testing software, not a model of any
disease.  Everything is deterministic (no random numbers), so
regenerate.sh reproduces the committed files byte for byte.

Only numpy is needed; the NIfTI files are read and written here directly.
OUT_IMAGE is float32 in the template's intensity units (0..255), OUT_MASK is
uint8 (1 = lesion: enhancing wall and necrotic core); both keep the
template's header geometry.
"""
import gzip
import struct
import sys

import numpy as np

# Lesion geometry in the template's world coordinates (mm, RAS+: x right,
# y anterior, z superior): right cerebral white matter, above the ventricles.
CENTRE = np.array([34.0, -12.0, 34.0])
OUTER_RADIUS = 16.0        # mean radius of the enhancing wall's outer surface
CORE_FRACTION = 0.55       # mean necrotic core radius / outer radius
OEDEMA_MARGIN = 14.0       # mean extent of the oedema beyond the wall
EDGE = 0.8                 # mm, softness of the boundaries (partial volume)
MASS_EFFECT = 4.0          # mm, largest displacement of the surrounding tissue

RIM_INTENSITY = 172.0      # template white matter is about 110, grey matter 85
CORE_INTENSITY = 48.0      # close to CSF (about 40)


def read_nifti(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = bytearray(data[:348])
    if struct.unpack("<i", header[:4])[0] != 348:
        sys.exit(f"{path}: not a little-endian NIfTI-1 file")
    dims = struct.unpack("<8h", header[40:56])
    datatype = struct.unpack("<h", header[70:72])[0]
    vox_offset = int(struct.unpack("<f", header[108:112])[0])
    if datatype != 2:
        sys.exit(f"{path}: expected uint8 data (datatype 2), found {datatype}")
    nx, ny, nz = dims[1:4]
    volume = np.frombuffer(data, dtype=np.uint8, count=nx * ny * nz, offset=vox_offset)
    srow = np.array(struct.unpack("<12f", header[280:328]), dtype=np.float64).reshape(3, 4)
    return header, volume.reshape(nz, ny, nx).astype(np.float32), srow


def write_nifti(path, header, volume, datatype, bitpix):
    h = bytearray(header)
    h[70:74] = struct.pack("<hh", datatype, bitpix)
    h[108:112] = struct.pack("<f", 352.0)
    h[112:120] = struct.pack("<ff", 1.0, 0.0)   # scl_slope, scl_inter
    h[124:132] = struct.pack("<ff", 0.0, 0.0)   # cal_max, cal_min
    with open(path, "wb") as f:
        f.write(bytes(h))
        f.write(b"\0\0\0\0")                   # no extensions
        f.write(volume.astype("<f4" if datatype == 16 else "u1").tobytes())


def trilinear(volume, k, j, i):
    """Samples volume[k, j, i] at fractional indices (edges clamped)."""
    nz, ny, nx = volume.shape
    k = np.clip(k, 0, nz - 1)
    j = np.clip(j, 0, ny - 1)
    i = np.clip(i, 0, nx - 1)
    k0 = np.minimum(np.floor(k).astype(np.intp), nz - 2)
    j0 = np.minimum(np.floor(j).astype(np.intp), ny - 2)
    i0 = np.minimum(np.floor(i).astype(np.intp), nx - 2)
    fk, fj, fi = k - k0, j - j0, i - i0
    out = np.zeros(k.shape, dtype=np.float64)
    for dk in (0, 1):
        wk = fk if dk else 1 - fk
        for dj in (0, 1):
            wj = fj if dj else 1 - fj
            for di in (0, 1):
                wi = fi if di else 1 - fi
                out += wk * wj * wi * volume[k0 + dk, j0 + dj, i0 + di]
    return out


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -60, 60)))


def irregular(theta, phi, terms):
    """A smooth function on the sphere: sum of low-order products of the
    azimuth theta and elevation phi.  Azimuth terms fade at the poles so the
    function stays continuous there."""
    c = np.cos(phi)
    out = np.zeros_like(theta)
    for amp, m, phase, pole_power, elev in terms:
        if m:
            out += amp * c ** pole_power * np.sin(m * theta + phase)
        else:
            out += amp * np.sin(elev * phi + phase)
    return out


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    header, image, srow = read_nifti(sys.argv[1])
    _, brain, srow_bet = read_nifti(sys.argv[2])
    if image.shape != brain.shape or not np.allclose(srow, srow_bet):
        sys.exit("the template and its brain-extracted version do not share a grid")
    brain = (brain > 0).astype(np.float32)
    nz, ny, nx = image.shape
    linear = srow[:, :3]
    inverse = np.linalg.inv(linear)

    # Work only in a box around the lesion; the rest is copied unchanged.
    voxel_size = np.abs(np.diag(linear)).min()
    reach = 60.0
    centre_ijk = inverse @ (CENTRE - srow[:, 3])
    lo = np.maximum(np.floor(centre_ijk - reach / voxel_size).astype(int), 0)
    hi = np.minimum(np.ceil(centre_ijk + reach / voxel_size).astype(int) + 1, [nx, ny, nz])
    kk, jj, ii = np.meshgrid(np.arange(lo[2], hi[2]), np.arange(lo[1], hi[1]),
                             np.arange(lo[0], hi[0]), indexing="ij")
    ijk = np.stack([ii, jj, kk], axis=-1).astype(np.float64)
    world = ijk @ linear.T + srow[:, 3]
    d = world - CENTRE
    r = np.linalg.norm(d, axis=-1)
    safe_r = np.maximum(r, 1e-6)
    u = d / safe_r[..., None]
    theta = np.arctan2(u[..., 1], u[..., 0])
    phi = np.arcsin(np.clip(u[..., 2], -1, 1))

    # Mass effect: tissue seen at radius r came from radius rho(r) < r.  The
    # displacement peaks near the wall and fades to nothing by 60 mm.
    length = 18.0
    taper = 1 - np.clip((r - 40.0) / 20.0, 0, 1) ** 2 * (3 - 2 * np.clip((r - 40.0) / 20.0, 0, 1))
    rho = r - MASS_EFFECT * (r / length) * np.exp(1 - r / length) * taper
    src = CENTRE + u * rho[..., None]
    src_ijk = (src - srow[:, 3]) @ inverse.T
    base = trilinear(image, src_ijk[..., 2], src_ijk[..., 1], src_ijk[..., 0])
    in_brain = trilinear(brain, src_ijk[..., 2], src_ijk[..., 1], src_ijk[..., 0])

    # Irregular surfaces: the wall's outer surface, a necrotic core whose
    # wall thickness varies, and oedema reaching further along some
    # directions.
    outer = OUTER_RADIUS * (1 + irregular(theta, phi, [
        (0.16, 2, 0.7, 1, 0), (0.10, 3, -1.1, 2, 0), (0.05, 5, 2.0, 3, 0),
        (0.08, 0, 0.4, 0, 2)]))
    core = outer * CORE_FRACTION * (1 + irregular(theta, phi, [
        (0.22, 1, 2.3, 1, 0), (0.12, 4, 0.2, 2, 0), (0.10, 0, -0.6, 0, 3)]))
    oedema = outer + OEDEMA_MARGIN * (1 + irregular(theta, phi, [
        (0.35, 2, -0.4, 1, 0), (0.20, 3, 1.7, 1, 0), (0.15, 0, 1.0, 0, 2)]))

    tumour = sigmoid((outer - r) / EDGE) * np.clip(in_brain * 1.5, 0, 1)
    necrosis = np.minimum(sigmoid((core - r) / EDGE), tumour)
    swelling = sigmoid((oedema - r) / (3 * EDGE)) * (1 - tumour) * in_brain

    # Oedema lowers T1 signal, mostly in white matter (it spreads along the
    # fibres, sparing the cortex).
    white = np.clip((base - 85.0) / 25.0, 0, 1)
    edematous = base * (1 - swelling * (0.08 + 0.24 * white))

    # Texture: the enhancing wall is patchy, the core a little uneven.
    x, y, z = world[..., 0], world[..., 1], world[..., 2]
    patchy = 1 + 0.09 * np.sin(0.9 * x + 0.3) * np.sin(0.7 * y + 1.1) * np.sin(0.8 * z + 0.5) \
        + 0.05 * np.sin(1.7 * x + 2.3 * y - 1.1 * z)
    uneven = 1 + 0.10 * np.sin(0.5 * x + 0.9 * y + 0.4 * z)
    lesion = edematous * (1 - tumour) + necrosis * CORE_INTENSITY * uneven \
        + (tumour - necrosis) * RIM_INTENSITY * patchy

    out = image.copy()
    out[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]] = np.clip(lesion, 0, 255).astype(np.float32)
    mask = np.zeros(image.shape, dtype=np.uint8)
    mask[lo[2]:hi[2], lo[1]:hi[1], lo[0]:hi[0]] = (tumour >= 0.5).astype(np.uint8)

    write_nifti(sys.argv[3], header, out, 16, 32)
    write_nifti(sys.argv[4], header, mask, 2, 8)
    volume_ml = mask.sum() * abs(np.linalg.det(linear)) / 1000.0
    print(f"lesion: {volume_ml:.1f} mL (enhancing wall and necrotic core)")


if __name__ == "__main__":
    main()
