/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_dicom: reading DICOM studies (C API over DCMTK).
 *
 * Opening indexes patients → studies → series → slices from the headers only;
 * pixels are decoded lazily, one slice at a time.  Bad files never stop the
 * rest: each is skipped with a reason the caller can list.  Nothing is ever
 * written into the input folders.
 *
 * Ownership: tsc_dicom_open() gives a tsc_dicom_index that the caller frees
 * with tsc_dicom_index_free().  Every `const` pointer returned by a `_get_`
 * function is borrowed from the index and lives until it is freed.
 * tsc_dicom_decode_slice() gives a tsc_dicom_image freed with
 * tsc_dicom_image_free().
 *
 * Threads: an index is immutable after opening; any number of threads may
 * call the `_get_` and decode functions on it concurrently.
 *
 * Units: millimetres for positions, spacings and thickness; pixel values after
 * the Modality LUT (RescaleSlope/Intercept). */
#ifndef TSC_DICOM_H
#define TSC_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_log.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tsc_dicom_index tsc_dicom_index;

typedef void (*tsc_dicom_progress_fn)(size_t files_done, size_t files_total, void *user_data);

typedef struct tsc_dicom_open_params {
    size_t struct_size;          /* sizeof(tsc_dicom_open_params), for ABI growth */
    int recursive;               /* descend into sub-folders (default 1) */
    uint64_t max_pixel_bytes;    /* refuse objects whose decoded pixels would exceed this
                                    (default 1 GiB) */
    size_t max_files;            /* stop enumerating after this many files (default 200000) */
    tsc_dicom_progress_fn progress; /* called from the opening thread; may be NULL */
    void *progress_data;
    tsc_cancel_fn cancel;        /* polled between files; may be NULL */
    void *cancel_data;
} tsc_dicom_open_params;

tsc_dicom_open_params tsc_dicom_default_open_params(void);

/* Opens `n_paths` paths: each a folder (walked, recursively by default), a
 * DICOMDIR file, or a DICOM file.  Returns TSC_OK when at least one image
 * slice was found; TSC_ENOTFOUND when nothing readable was found (the index
 * is still returned so that the skipped files can be listed); TSC_ECANCELLED
 * when cancelled.  `err` names the first cause on failure. */
tsc_status tsc_dicom_open(const char *const *paths, size_t n_paths,
                          const tsc_dicom_open_params *params, tsc_dicom_index **out,
                          tsc_error *err);
void tsc_dicom_index_free(tsc_dicom_index *index);

/* ---- the tree ---------------------------------------------------------- */

/* Strings are UTF-8 (converted from SpecificCharacterSet), never NULL
 * (empty when absent).  Dates are DICOM YYYYMMDD. */
typedef struct tsc_dicom_patient_info {
    const char *name;       /* PN as stored, components separated by '^' */
    const char *id;
    const char *birth_date;
    const char *sex;
} tsc_dicom_patient_info;

typedef struct tsc_dicom_study_info {
    size_t patient;         /* index into the patients */
    const char *study_uid;
    const char *date;
    const char *time;
    const char *description;
    const char *accession;
    const char *institution;
    const char *study_id;
} tsc_dicom_study_info;

enum {
    /* The slices come from files whose SeriesInstanceUID was shared with
     * slices of another size or orientation; they were split into their own
     * series (the description says "part N"). */
    TSC_DICOM_SERIES_SPLIT = 1u << 0,
    /* Order fell back to InstanceNumber: some slice lacks position/orientation. */
    TSC_DICOM_SERIES_ORDER_BY_INSTANCE = 1u << 1,
    /* Slice positions are not evenly spaced (gaps or overlaps). */
    TSC_DICOM_SERIES_UNEVEN_SPACING = 1u << 2,
    /* At least one slice came from a multi-frame object. */
    TSC_DICOM_SERIES_MULTIFRAME = 1u << 3,
    /* Colour images, converted to luminance when decoded. */
    TSC_DICOM_SERIES_COLOR = 1u << 4,
    /* One repetition of a run acquired repeatedly at the same positions; the
     * description and `variant` say "time point N of M" only for a real time
     * series (TemporalPositionIdentifier or AcquisitionTime tell the
     * repetitions apart), "diffusion volume N of M" for diffusion volumes
     * without directions in the headers, "repetition N of M" otherwise. */
    TSC_DICOM_SERIES_REPEAT = 1u << 5,
    /* Images at the same positions and SeriesInstanceUID that differ in
     * echo, b-value or diffusion direction, magnitude/phase/real/imaginary,
     * or ASL label/control, split into one series each; the description and
     * `variant` say which ("echo 2 (TE 9.8 ms)", "b = 1000, direction 3 of
     * 30", "phase", "control"). */
    TSC_DICOM_SERIES_VARIANT = 1u << 6
};

typedef struct tsc_dicom_series_info {
    size_t study;               /* index into the studies */
    const char *series_uid;
    const char *description;
    const char *modality;
    const char *manufacturer;
    const char *model_name;
    const char *sequence_name;  /* SequenceName or ScanningSequence */
    const char *contrast_agent; /* ContrastBolusAgent; empty when none */
    const char *contrast_label; /* human-readable, e.g. "T1 post-contrast", "FLAIR", "" */
    const char *body_part;
    const char *frame_of_reference_uid;
    const char *transfer_syntaxes; /* comma-separated names, e.g. "JPEG-LS Lossless" */
    int series_number;
    size_t n_slices;
    int rows, cols;             /* of the first slice (all slices agree unless refused) */
    double pixel_spacing[2];    /* mm: [0] between rows (dy), [1] between columns (dx) */
    double slice_thickness;     /* mm, SliceThickness; 0 when absent */
    double slice_spacing;       /* mm, median distance between adjacent slice positions
                                   along the normal; 0 when unknown (single slice or no
                                   geometry) */
    double orientation[6];      /* ImageOrientationPatient of the first slice */
    unsigned flags;             /* TSC_DICOM_SERIES_* */
    /* ---- appended with plugin ABI 3: what the scope gate reads (first slice
     * unless said otherwise; multi-valued attributes joined by '\\') ---- */
    const char *sop_class_uid;      /* (0008,0016) */
    const char *image_type;         /* (0008,0008), e.g. "ORIGINAL\\PRIMARY\\M\\ND" */
    const char *scanning_sequence;  /* (0018,0020), e.g. "GR\\IR" */
    const char *sequence_variant;   /* (0018,0021) */
    const char *mr_acquisition_type;/* (0018,0023) "2D", "3D" or "" */
    const char *photometric;        /* (0028,0004) as stored */
    int samples_per_pixel;          /* (0028,0002) */
    double max_b_value;             /* largest diffusion b-value over the series
                                       ((0018,9087) or the vendors' private b-value
                                       tags); -1 when none is given */
    int n_mosaic;                   /* Siemens NumberOfImagesInMosaic; 1 when ImageType
                                       says MOSAIC without the count; 0 otherwise */
    double echo_time, repetition_time, inversion_time; /* ms; 0 when absent */
    /* ---- appended after plugin ABI 3 (reading only; read through the
     * pointer, never copied by size) ---- */
    const char *variant;            /* what sets this series apart from others at the
                                       same positions and SeriesInstanceUID: "echo 2
                                       (TE 9.8 ms)", "b = 1000, direction 3 of 30",
                                       "phase", "label", "time point 2 of 5",
                                       "repetition 2 of 2"; "" when none */
} tsc_dicom_series_info;

typedef struct tsc_dicom_slice_info {
    const char *path;           /* the file it comes from (as enumerated) */
    const char *sop_instance_uid;
    const char *transfer_syntax_uid;
    int frame;                  /* 0-based frame within a multi-frame object; 0 otherwise */
    int n_frames;               /* frames in the object */
    int instance_number;
    int rows, cols;
    double pixel_spacing[2];    /* mm: [0] dy, [1] dx; 0 when absent */
    double position[3];         /* ImagePositionPatient (mm) */
    double orientation[6];      /* ImageOrientationPatient */
    int has_geometry;           /* position and orientation are both known */
    double location;            /* position · slice normal (mm) when has_geometry */
    double window_center, window_width; /* header VOI window; width 0 when absent */
} tsc_dicom_slice_info;

typedef struct tsc_dicom_skipped {
    const char *path;
    const char *reason;         /* says what failed and why, e.g.
                                   "unsupported transfer syntax JPEG 2000 (1.2.840.10008.1.2.4.90)" */
    tsc_status status;
} tsc_dicom_skipped;

size_t tsc_dicom_n_patients(const tsc_dicom_index *index);
size_t tsc_dicom_n_studies(const tsc_dicom_index *index);
size_t tsc_dicom_n_series(const tsc_dicom_index *index);
size_t tsc_dicom_n_skipped(const tsc_dicom_index *index);
/* Files looked at while opening (DICOMDIR files themselves excluded). */
size_t tsc_dicom_n_files(const tsc_dicom_index *index);

const tsc_dicom_patient_info *tsc_dicom_get_patient(const tsc_dicom_index *index, size_t i);
const tsc_dicom_study_info *tsc_dicom_get_study(const tsc_dicom_index *index, size_t i);
/* Series are ordered by patient, study (date, then UID), then series number. */
const tsc_dicom_series_info *tsc_dicom_get_series(const tsc_dicom_index *index, size_t i);
/* Slices are ordered along the slice normal (ascending location), falling
 * back to InstanceNumber. */
const tsc_dicom_slice_info *tsc_dicom_get_slice(const tsc_dicom_index *index, size_t series,
                                                size_t slice);
const tsc_dicom_skipped *tsc_dicom_get_skipped(const tsc_dicom_index *index, size_t i);

/* ---- pixels ------------------------------------------------------------ */

enum {
    TSC_DICOM_IMAGE_RGB_CONVERTED = 1u << 0, /* colour input converted to luminance */
    TSC_DICOM_IMAGE_INVERTED = 1u << 1,      /* MONOCHROME1 inverted to MONOCHROME2 sense */
    TSC_DICOM_IMAGE_WINDOW_FROM_MINMAX = 1u << 2 /* no header window: min/max used */
};

typedef struct tsc_dicom_image {
    int rows, cols;
    float *pixels;              /* rows*cols values, row-major, Modality LUT applied,
                                   brighter = higher signal (MONOCHROME1 inverted) */
    double pixel_spacing[2];    /* mm: [0] dy, [1] dx (1.0 when the header has none) */
    double window_center, window_width; /* default display window */
    float min_value, max_value;
    unsigned flags;             /* TSC_DICOM_IMAGE_* */
} tsc_dicom_image;

/* Decodes one slice to float32.  Returns TSC_OK, or a status with `err`
 * naming the file and the cause (truncated, unsupported syntax, too large). */
tsc_status tsc_dicom_decode_slice(const tsc_dicom_index *index, size_t series, size_t slice,
                                  tsc_dicom_image **out, tsc_error *err);
void tsc_dicom_image_free(tsc_dicom_image *image);

/* ---- segmentations (DICOM SEG) ----------------------------------------- */

/* SEG objects are results (masks), not images: they are kept OUT of the
 * series list, so that no host analyses, windows or counts one as a series
 * by mistake (every host walks tsc_dicom_n_series), and are listed here with
 * what they refer to, so that a viewer can overlay one on the series it
 * belongs to (referenced_series_uid, per-frame source instance or position).
 * A folder holding only SEG objects opens with TSC_ENOTFOUND (no image). */
typedef struct tsc_dicom_seg_info {
    const char *path;
    const char *sop_instance_uid;
    const char *series_uid;
    const char *study_uid;
    const char *referenced_series_uid;  /* first ReferencedSeriesSequence item; "" when absent */
    const char *frame_of_reference_uid;
    const char *description;            /* SeriesDescription */
    const char *segmentation_type;      /* "BINARY" or "FRACTIONAL" */
    int rows, cols;
    size_t n_frames;
    size_t n_segments;
    int max_fractional_value;           /* FRACTIONAL: the stored value meaning 1.0; 1 for BINARY */
    double pixel_spacing[2];            /* mm ([0] dy, [1] dx); 0 when absent */
    double orientation[6];              /* ImageOrientationPatient (shared) */
    int has_orientation;
} tsc_dicom_seg_info;

typedef struct tsc_dicom_segment_info {
    int number;                         /* SegmentNumber (1-based) */
    const char *label;                  /* SegmentLabel; "" when absent */
    const char *algorithm_type;         /* AUTOMATIC, SEMIAUTOMATIC, MANUAL; "" when absent */
} tsc_dicom_segment_info;

typedef struct tsc_dicom_seg_frame_info {
    int segment_number;                 /* ReferencedSegmentNumber; 0 when absent */
    const char *referenced_sop_instance_uid; /* the source image (DerivationImageSequence >
                                                SourceImageSequence); "" when absent */
    int referenced_frame;               /* 1-based frame of a multi-frame source; 0 when absent */
    int has_position;
    double position[3];                 /* ImagePositionPatient (mm) */
} tsc_dicom_seg_frame_info;

/* A structured report stored with the study (a result computed elsewhere,
 * e.g. the TID 1500 report tumorscope's Orthanc plugin stores): listed
 * apart from the image series, like segmentations.  Strings are UTF-8,
 * never NULL ("" when absent). */
typedef struct tsc_dicom_report_info {
    size_t struct_size;                /* sizeof of the plugin's struct (it may grow) */
    const char *path;
    const char *sop_instance_uid;
    const char *series_uid;
    const char *study_uid;
    const char *referenced_series_uid; /* the first image series in its evidence; "" when none */
    const char *title;                 /* the root concept ("Imaging Measurement Report") */
    const char *manufacturer;
    const char *software;              /* SoftwareVersions, values joined with "; " */
    const char *content_date;          /* YYYYMMDD */
    const char *content_time;          /* HHMMSS[.ffffff] */
    const char *finding;               /* the first document-level TEXT "Finding" (DCM 121071) */
    const char *completion;            /* CompletionFlag: COMPLETE or PARTIAL */
    const char *verification;          /* VerificationFlag: VERIFIED or UNVERIFIED */
    size_t n_measurement_groups;       /* CONTAINERs "Measurement Group" (DCM 125007) */
    int content_readable;              /* 0: the content tree could not be read (header only) */
} tsc_dicom_report_info;

size_t tsc_dicom_n_reports(const tsc_dicom_index *index);
const tsc_dicom_report_info *tsc_dicom_get_report(const tsc_dicom_index *index, size_t i);

/* The comment of measurement group k (< n_measurement_groups) of report i,
 * "" when it has none ("Glioma; P(type | tumour) 87.0%; P(tumour) 95.1%;
 * method cnn; slice 12" in ours).  Borrowed from the index. */
const char *tsc_dicom_get_report_group_comment(const tsc_dicom_index *index, size_t i, size_t k);

size_t tsc_dicom_n_segmentations(const tsc_dicom_index *index);
const tsc_dicom_seg_info *tsc_dicom_get_segmentation(const tsc_dicom_index *index, size_t i);
const tsc_dicom_segment_info *tsc_dicom_get_segment(const tsc_dicom_index *index, size_t seg,
                                                    size_t k);
const tsc_dicom_seg_frame_info *tsc_dicom_get_seg_frame(const tsc_dicom_index *index, size_t seg,
                                                        size_t frame);
/* Decodes one frame into `mask` (rows*cols bytes, row-major, owned by the
 * caller): 0/1 for BINARY (1-bit data unpacked least significant bit first,
 * PS3.5 8.1.1, frames packed back to back); the stored 0..max_fractional_value
 * for FRACTIONAL.  Returns TSC_OK, or a status with `err` naming the file and
 * the cause (truncated, compressed). */
tsc_status tsc_dicom_decode_seg_frame(const tsc_dicom_index *index, size_t seg, size_t frame,
                                      uint8_t *mask, tsc_error *err);

/* Human-readable name of a transfer syntax UID ("Explicit VR Little Endian");
 * static string, the UID itself when unknown. */
const char *tsc_dicom_transfer_syntax_name(const char *uid);

#ifdef __cplusplus
}
#endif
#endif
