/* SPDX-License-Identifier: BSD-3-Clause */
/* What the C++ tests that build DICOM objects attribute by attribute with
 * DCMTK share (header-only: tests/dicom, tests/robustness, tests/render). */
#ifndef TSC_TEST_DCMTK_H
#define TSC_TEST_DCMTK_H

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>

/* The Image Pixel module of a greyscale (MONOCHROME2) image of rows x cols
 * pixels, `allocated` bits a sample of which the low `stored` are used,
 * unsigned unless is_signed; the pixel data itself is the caller's. */
inline void tsc_test_put_mono_pixel_module(DcmItem *ds, int rows, int cols, int allocated,
                                           int stored, bool is_signed = false)
{
    ds->putAndInsertUint16(DCM_Rows, (Uint16)rows);
    ds->putAndInsertUint16(DCM_Columns, (Uint16)cols);
    ds->putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds->putAndInsertUint16(DCM_BitsAllocated, (Uint16)allocated);
    ds->putAndInsertUint16(DCM_BitsStored, (Uint16)stored);
    ds->putAndInsertUint16(DCM_HighBit, (Uint16)(stored - 1));
    ds->putAndInsertUint16(DCM_PixelRepresentation, is_signed ? 1 : 0);
}

#endif
