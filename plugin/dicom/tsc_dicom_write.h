/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_dicom_write: writing MR DICOM series (C API over DCMTK).
 *
 * One call writes one series from a stack of real-valued slices: either one
 * MR Image Storage file per slice (1.2.840.10008.5.1.4.1.1.4) or one Enhanced
 * MR Image Storage object (1.2.840.10008.5.1.4.1.1.4.1) with per-frame
 * functional groups.  Pixels are MONOCHROME2, 16 bits allocated, unsigned or
 * signed, optionally with a Rescale Slope/Intercept; the transfer syntax is
 * uncompressed, JPEG-LS lossless, RLE, JPEG lossless or deflated.
 *
 * Every file is written atomically (temporary file in the output folder,
 * fsync, rename); on failure the files this call created are removed again.
 *
 * Units: millimetres, DICOM patient coordinates (LPS: x towards the
 * patient's left, y towards posterior, z towards the head). */
#ifndef TSC_DICOM_WRITE_H
#define TSC_DICOM_WRITE_H

#include <stddef.h>

#include "tsc_log.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSC_DICOM_MR_IMAGE_STORAGE "1.2.840.10008.5.1.4.1.1.4"
#define TSC_DICOM_ENHANCED_MR_IMAGE_STORAGE "1.2.840.10008.5.1.4.1.1.4.1"

typedef enum tsc_dicom_compression {
    TSC_DICOM_COMPRESS_NONE = 0,       /* Explicit VR Little Endian */
    TSC_DICOM_COMPRESS_JPEG_LS,        /* JPEG-LS Lossless (1.2.840.10008.1.2.4.80) */
    TSC_DICOM_COMPRESS_RLE,            /* RLE Lossless (1.2.840.10008.1.2.5) */
    TSC_DICOM_COMPRESS_JPEG_LOSSLESS,  /* JPEG Lossless SV1 (1.2.840.10008.1.2.4.70) */
    TSC_DICOM_COMPRESS_DEFLATE         /* Deflated Explicit VR Little Endian (1.2.840.10008.1.2.1.99) */
} tsc_dicom_compression;

/* "none", "jpeg-ls", "rle", "jpeg-lossless", "deflate".  Returns 0 when the
 * name is unknown. */
int tsc_dicom_write_compression_from_name(const char *name, tsc_dicom_compression *out);
/* Static string; "none" for out-of-range values. */
const char *tsc_dicom_write_compression_name(tsc_dicom_compression compression);

/* What to write.  Strings are UTF-8 (SpecificCharacterSet ISO_IR 192 is
 * added when one is not ASCII); NULL or "" writes an empty value where DICOM
 * allows one.  Values are checked against their DICOM VR (length, allowed
 * characters, date format): a bad one is TSC_EINVAL naming the attribute. */
typedef struct tsc_dicom_write_params {
    size_t struct_size;               /* sizeof(tsc_dicom_write_params) */

    /* Patient. */
    const char *patient_name;         /* PN, components separated by '^' */
    const char *patient_id;
    const char *birth_date;           /* YYYYMMDD */
    const char *sex;                  /* "M", "F", "O" */

    /* Study. */
    const char *study_uid;            /* add the series to this study; NULL: a new study */
    const char *study_description;
    const char *study_id;
    const char *accession;
    const char *institution;
    const char *study_date;           /* YYYYMMDD; NULL: SOURCE_DATE_EPOCH, else today */
    const char *study_time;           /* HHMMSS; NULL: 000000 with a given study_date,
                                         else from the same clock */

    /* Series and equipment. */
    const char *series_description;
    int series_number;                /* default 1 */
    const char *manufacturer;         /* default "tumorscope" */
    const char *model_name;           /* default "tumorscope dicomize" */
    const char *software_versions;    /* default "tumorscope" */
    const char *sequence_name;        /* SequenceName */
    const char *contrast_agent;       /* ContrastBolusAgent; NULL/"" when no contrast */
    const char *body_part;            /* BodyPartExamined; default "HEAD" */
    const char *derivation;           /* DerivationDescription: where the pixels came from */
    const char *image_type3;          /* value 3 of ImageType for single-frame files:
                                         "MPR" for resampled volumes; default "OTHER" */
    const char *frame_of_reference_uid; /* NULL: a new one (from uid_seed when given) */

    /* UIDs.  Without a root they are "2.25.<128-bit number>" (PS3.5 B.2,
     * no registration needed); with a registered root of at most 24
     * characters they are made under it by dcmGenerateUniqueIdentifier.
     * With a seed they are derived from SHA-256(seed, purpose) and the same
     * inputs always give the same UIDs (study and frame of reference from
     * the seed alone, series and instances also from series_number). */
    const char *uid_root;
    const char *uid_seed;

    /* Geometry. */
    double pixel_spacing[2];          /* mm: [0] between rows (dy), [1] between columns (dx) */
    double slice_thickness;           /* mm; 0: slice_spacing */
    double slice_spacing;             /* mm, SpacingBetweenSlices; 0: from the positions */
    double orientation[6];            /* ImageOrientationPatient: row, then column direction */

    /* Pixels: stored = round((value - rescale_intercept) / rescale_slope),
     * clipped to 0..65535 (or -32768..32767 when pixel_signed). */
    int pixel_signed;
    double rescale_slope;             /* default 1 */
    double rescale_intercept;         /* default 0 */
    int write_rescale;                /* write Rescale Slope/Intercept even when 1/0 */
    double window_center, window_width; /* real-world units; width <= 0: from the data */

    tsc_dicom_compression compression;
    int multiframe;                   /* one Enhanced MR object instead of one file per slice */
    int allow_non_empty;              /* write into a folder that already has files */

    tsc_cancel_fn cancel;             /* polled between files; may be NULL */
    void *cancel_data;
} tsc_dicom_write_params;

tsc_dicom_write_params tsc_dicom_write_default_params(void);

/* The pixels and where they are.  Values are real-world (after any Rescale),
 * non-finite values are written as 0.  A plain description of caller-owned
 * arrays: frozen (plugin ABI), it never grows. */
typedef struct tsc_dicom_write_volume {
    int cols, rows;
    size_t n_slices;
    const float *values;              /* n_slices * rows * cols, slice by slice, row-major */
    const double *positions;          /* 3 * n_slices: ImagePositionPatient of each slice (mm) */
} tsc_dicom_write_volume;

/* What was written.  tsc_dicom_write_series fills the whole struct and sets
 * struct_size; through the plugin ABI (dicom_write_series_v4) the host sets
 * struct_size to the size it was built with and only that much is written.
 * The version-2 layout without struct_size is tsc_dicom_write_result_v2 in
 * tsc_plugin.h. */
typedef struct tsc_dicom_write_result {
    size_t struct_size;
    char study_uid[65];
    char series_uid[65];
    char frame_of_reference_uid[65];
    char transfer_syntax_uid[65];
    size_t n_files;
    size_t n_clipped;                 /* values outside the stored range, clipped */
    double window_center, window_width; /* the window written */
    int bits_stored;
} tsc_dicom_write_result;

/* Writes the series into `out_dir` as IM0001.dcm, IM0002.dcm, ... (one
 * IM0001.dcm when multiframe).  The folder is created (with parents) when
 * missing; an existing non-empty folder is TSC_EEXIST unless
 * params->allow_non_empty.  `result` may be NULL. */
tsc_status tsc_dicom_write_series(const char *out_dir, const tsc_dicom_write_params *params,
                                  const tsc_dicom_write_volume *volume,
                                  tsc_dicom_write_result *result, tsc_error *err);

/* One UID as described for tsc_dicom_write_params (`root` and `seed` may be
 * NULL; `purpose` distinguishes UIDs made from one seed). */
tsc_status tsc_dicom_write_make_uid(const char *root, const char *seed, const char *purpose,
                                    char uid[65], tsc_error *err);
/* Non-zero when `uid` is a syntactically valid UID (digits and dots, no
 * empty or zero-led component, at most 64 characters). */
int tsc_dicom_write_uid_is_valid(const char *uid);

#ifdef __cplusplus
}
#endif
#endif
