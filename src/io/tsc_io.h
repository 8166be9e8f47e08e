/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_io: image and dataset files for the core (plain C11, no GTK/DCMTK).
 *
 * - 8/16-bit grayscale PNG, read and written (writes are atomic);
 * - NIfTI-1 volumes (.nii, .nii.gz), read to float32 with scaling and the
 *   voxel-to-world transform;
 * - the dataset index (`index.csv`: id,label,label_name,patient_id,split,...);
 * - the file-system helpers the writers share: atomic file creation,
 *   output-folder preparation, sorted folder listing.
 *
 * Ownership: `_read`/`_load`/`_new`/`_dup` give the caller something to free
 * with the matching `_free` (or free() for `_dup` strings); `_get_` borrows.
 * Errors: every fallible call returns a tsc_status and fills the optional
 * tsc_error with a message naming the file and the cause. */
#ifndef TSC_IO_H
#define TSC_IO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- grayscale images and PNG -------------------------------------------- */

/* A 2-D grayscale image, row-major without padding.  `pixels` holds
 * width*height uint8_t (bit_depth 8) or uint16_t in host byte order
 * (bit_depth 16). */
typedef struct tsc_gray_image {
    int width, height;
    int bit_depth;
    void *pixels;
    unsigned flags;             /* TSC_PNG_* describing conversions made when reading */
} tsc_gray_image;

enum {
    TSC_PNG_FROM_COLOR = 1u << 0,     /* colour input converted to luminance */
    TSC_PNG_ALPHA_DROPPED = 1u << 1,  /* an alpha channel was ignored */
    TSC_PNG_EXPANDED = 1u << 2        /* 1/2/4-bit or palette input expanded to 8 bits */
};

/* Limits applied before any pixel buffer is allocated. */
#define TSC_PNG_MAX_SIDE 32768
#define TSC_PNG_MAX_PIXELS (256u * 1024u * 1024u)

/* A zero-filled image; NULL when out of memory or the size is invalid
 * (width/height < 1 or beyond the limits, bit_depth not 8 or 16). */
tsc_gray_image *tsc_gray_image_new(int width, int height, int bit_depth);
void tsc_gray_image_free(tsc_gray_image *image);
/* Pixel (x, y) as an integer (0..255 or 0..65535). */
unsigned tsc_gray_image_get(const tsc_gray_image *image, int x, int y);

/* Reads a PNG as grayscale: 1/2/4/8-bit gray, palette and colour images are
 * converted to 8 bits (colour by luminance), 16-bit stays 16-bit; alpha is
 * dropped.  Flags in image->flags say what was converted. */
tsc_status tsc_png_read(const char *path, tsc_gray_image **out, tsc_error *err);
/* The same from memory (fuzzing, embedded resources); `name` is used in messages. */
tsc_status tsc_png_read_memory(const void *data, size_t size, const char *name,
                               tsc_gray_image **out, tsc_error *err);
/* Writes an 8- or 16-bit grayscale PNG atomically: a temporary file in the
 * same folder, fsync, rename over `path`.  On failure nothing is left behind
 * and an existing `path` is untouched. */
tsc_status tsc_png_write(const char *path, const tsc_gray_image *image, tsc_error *err);

/* ---- NIfTI-1 volumes ------------------------------------------------------- */

/* Datatype codes from nifti1.h that tsc_nifti_read accepts. */
enum {
    TSC_NIFTI_UINT8 = 2,
    TSC_NIFTI_INT16 = 4,
    TSC_NIFTI_INT32 = 8,
    TSC_NIFTI_FLOAT32 = 16,
    TSC_NIFTI_FLOAT64 = 64,
    TSC_NIFTI_INT8 = 256,
    TSC_NIFTI_UINT16 = 512,
    TSC_NIFTI_UINT32 = 768
};

/* Which transform produced `ijk_to_xyz`. */
typedef enum tsc_nifti_xform {
    TSC_NIFTI_XFORM_NONE = 0,   /* no qform/sform: diagonal pixdim, origin 0 */
    TSC_NIFTI_XFORM_QFORM = 1,
    TSC_NIFTI_XFORM_SFORM = 2
} tsc_nifti_xform;

/* One 3-D volume.  Voxel (i, j, k) is data[(k*ny + j)*nx + i]. */
typedef struct tsc_volume {
    int nx, ny, nz;
    int n_volumes;              /* dim[4]*...: only the first volume is read */
    float *data;                /* nx*ny*nz values with scl_slope/scl_inter applied */
    double spacing[3];          /* mm between voxel centres along i, j, k */
    double ijk_to_xyz[3][4];    /* voxel index -> world position in mm, NIfTI's
                                   RAS+ convention (x right, y anterior, z superior) */
    tsc_nifti_xform xform;
    int datatype;               /* the file's NIfTI datatype code */
    float min_value, max_value; /* over finite voxels (0, 0 when none) */
} tsc_volume;

typedef struct tsc_nifti_params {
    size_t struct_size;         /* sizeof(tsc_nifti_params) */
    uint64_t max_bytes;         /* refuse volumes whose float32 data would exceed this
                                   (default 2 GiB) */
} tsc_nifti_params;

tsc_nifti_params tsc_nifti_default_params(void);

/* Reads a single-file NIfTI-1 (.nii, or gzip-compressed .nii.gz detected by
 * content).  Headers are validated before allocating: absurd dims, a bad
 * vox_offset, an unsupported datatype or a file shorter than declared are
 * TSC_EFORMAT / TSC_EUNSUPPORTED / TSC_ELIMIT.  `params` may be NULL. */
tsc_status tsc_nifti_read(const char *path, const tsc_nifti_params *params, tsc_volume **out,
                          tsc_error *err);
tsc_status tsc_nifti_read_memory(const void *data, size_t size, const char *name,
                                 const tsc_nifti_params *params, tsc_volume **out,
                                 tsc_error *err);
void tsc_volume_free(tsc_volume *volume);
/* World position (mm, RAS+) of a possibly fractional voxel index. */
void tsc_volume_voxel_to_world(const tsc_volume *volume, double i, double j, double k,
                               double xyz[3]);
/* Trilinear sample at a fractional voxel index; `outside` beyond the volume. */
float tsc_volume_sample(const tsc_volume *volume, double i, double j, double k, float outside);

/* ---- dataset index (index.csv) --------------------------------------------- */

/* The dataset format of shared/data: a folder with `index.csv` (at least the
 * columns id,label,label_name,patient_id,split, any order, found by header
 * name), `images/<id>.png` and optionally `masks/<id>.png`.  RFC 4180
 * quoting, CRLF or LF line ends and a UTF-8 BOM are accepted. */
typedef struct tsc_dataset tsc_dataset;

typedef struct tsc_dataset_row {
    const char *id;
    int label;
    const char *label_name;
    const char *patient_id;
    const char *split;          /* "train", "val" or "test" as written */
} tsc_dataset_row;

/* `path` is the CSV file or the folder holding index.csv.  A missing
 * required column, a row with the wrong number of fields, an unterminated
 * quote or a non-integer label is TSC_EFORMAT with the line number. */
tsc_status tsc_dataset_load(const char *path, tsc_dataset **out, tsc_error *err);
/* From memory; `folder` (may be NULL) is used to build image paths. */
tsc_status tsc_dataset_load_memory(const char *data, size_t size, const char *folder,
                                   tsc_dataset **out, tsc_error *err);
void tsc_dataset_free(tsc_dataset *dataset);

size_t tsc_dataset_n_rows(const tsc_dataset *dataset);
const tsc_dataset_row *tsc_dataset_get_row(const tsc_dataset *dataset, size_t row);
size_t tsc_dataset_n_columns(const tsc_dataset *dataset);
const char *tsc_dataset_get_column_name(const tsc_dataset *dataset, size_t column);
/* Column index of a header name, or -1. */
int tsc_dataset_find_column(const tsc_dataset *dataset, const char *name);
/* Any cell as text (never NULL). */
const char *tsc_dataset_get_value(const tsc_dataset *dataset, size_t row, size_t column);
/* "<folder>/images/<id>.png" and "<folder>/masks/<id>.png" (malloc'd; NULL
 * when out of memory).  The files are not checked. */
char *tsc_dataset_dup_image_path(const tsc_dataset *dataset, size_t row);
char *tsc_dataset_dup_mask_path(const tsc_dataset *dataset, size_t row);

/* ---- file-system helpers --------------------------------------------------- */

/* Atomic creation of one file: write to the temporary file, then commit
 * (flush, fsync, rename over the final path, fsync the folder) or abort
 * (remove the temporary).  Both free the handle. */
typedef struct tsc_atomic_file tsc_atomic_file;

tsc_status tsc_atomic_file_open(const char *path, tsc_atomic_file **out, tsc_error *err);
/* The open stream to write through. */
FILE *tsc_atomic_file_get_stream(tsc_atomic_file *file);
/* The temporary's path, for writers that must open by name (it is replaced
 * whole by such a writer, which is fine: commit syncs by path). */
const char *tsc_atomic_file_get_temp_path(const tsc_atomic_file *file);
tsc_status tsc_atomic_file_commit(tsc_atomic_file *file, tsc_error *err);
void tsc_atomic_file_abort(tsc_atomic_file *file);

/* Makes `dir` ready to receive new files: creates it (and missing parents,
 * mode 0755), or accepts it when it exists and is empty.  An existing
 * non-empty folder is TSC_EEXIST unless `allow_non_empty`. */
tsc_status tsc_io_prepare_output_dir(const char *dir, int allow_non_empty, tsc_error *err);

/* The regular files (symlinks followed) in `dir` whose names end with one of
 * the `n_suffixes` suffixes (case-insensitive; all files when n_suffixes is
 * 0), hidden files skipped, sorted by name with runs of digits compared as
 * numbers (slice2 before slice10).  `*out_paths` is a
 * malloc'd array of malloc'd "dir/name" strings; free with tsc_io_free_paths. */
tsc_status tsc_io_list_dir(const char *dir, const char *const *suffixes, size_t n_suffixes,
                           char ***out_paths, size_t *out_count, tsc_error *err);
void tsc_io_free_paths(char **paths, size_t count);

#ifdef __cplusplus
}
#endif
#endif
