/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_edit: the reader's corrections of a series result.
 *
 * An edit is an operation on the unedited result: reject one of its 3D
 * lesions with a reason, or a brush or eraser stroke on one slice's mask.
 * tsc_series_result_apply_edits() replays an ordered list of edits on the
 * unedited result and returns a NEW series result, measured again (lesions,
 * 3D linking, volume, verdicts) from the edited masks with the geometry the
 * analysis used; the unedited result is never changed.  Undo and redo are
 * therefore the host's list length, and a replay is deterministic.
 *
 * Slices no edit touched keep their verdict, probabilities and confidences.
 * An edited slice with tumour left (or painted) is a tumour of its type, or
 * of the class the brush paints; a tumour slice left without tumour is "no
 * tumour" without a stated probability (the reader said so, not the model).
 *
 * Ownership: the edited result is freed with tsc_series_result_free();
 * everything its getters return is borrowed from it.  Units: mm, mL; points
 * are pixel coordinates of the slice (x = column, y = row, pixel centres). */
#ifndef TSC_EDIT_H
#define TSC_EDIT_H

#include <stddef.h>

#include "tsc_analysis.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tsc_edit_kind {
    TSC_EDIT_REJECT = 0, /* reject 3D lesion `lesion` with `reason` */
    TSC_EDIT_PAINT = 1,  /* brush: add tumour along the stroke */
    TSC_EDIT_ERASE = 2,  /* eraser: remove tumour along the stroke */
    TSC_EDIT_ACCEPT = 3  /* accept 3D lesion `lesion`: the reader confirms it (masks unchanged) */
} tsc_edit_kind;

/* One edit, lent for the call (pointers borrowed). */
typedef struct tsc_edit {
    size_t struct_size; /* sizeof(tsc_edit) */
    int kind;           /* tsc_edit_kind */
    /* TSC_EDIT_REJECT */
    size_t lesion;      /* index of the 3D lesion in the UNEDITED result */
    const char *reason; /* why ("false positive: vessel"); NULL: not stated */
    /* TSC_EDIT_PAINT / TSC_EDIT_ERASE */
    size_t slice;            /* index of the slice in the series */
    const tsc_point *points; /* the stroke's centre line, >= 1 point */
    size_t n_points;
    double radius_mm; /* the brush's radius (> 0), in mm of the slice's spacing */
    size_t label;     /* PAINT: the model class the reader states;
                                (size_t)-1 (default): the slice's own type */
} tsc_edit;

/* A stroke with radius 3 mm, label (size_t)-1, everything else zero. */
tsc_edit tsc_edit_default(void);

/* Bits of tsc_series_result_get_slice_edits(). */
#define TSC_SLICE_PAINTED 1u  /* the brush added tumour */
#define TSC_SLICE_ERASED 2u   /* the eraser removed tumour */
#define TSC_SLICE_REJECTED 4u /* a rejected lesion was removed from it */

/* A lesion the reader rejected, as the unedited result had it. */
typedef struct tsc_rejected_lesion {
    size_t struct_size;     /* sizeof(tsc_rejected_lesion) */
    size_t lesion;          /* its index in the unedited result */
    /* Its measurements there, by pointer: tsc_lesion3d_info may grow at its
     * end (docs/PLUGIN_ABI.md rule 5), which a member by value would not
     * allow.  Owned by the edited result. */
    const tsc_lesion3d_info *info;
    const char *reason;     /* "" when none was given */
} tsc_rejected_lesion;

/* Applies edits[0..n_edits) in order (each read up to its struct_size) to
 * `original` (an unedited result of a completed analysis, or of a stored
 * one) and returns the edited result in *out.  `model` is the one that made
 * `original` (NULL for the classical methods); `editor` names who edited
 * (NULL or "": not stated).  n_edits == 0 gives an unedited copy.
 * TSC_EINVAL, with a message naming the edit, for a lesion or slice index
 * out of range, a slice that was not analysed, a lesion rejected twice, a
 * stroke without points or radius, a class the model does not have, a lesion
 * accepted twice or accepted after its rejection, or an
 * `original` that is already edited or was cancelled; TSC_ENOMEM. */
tsc_status tsc_series_result_apply_edits(const tsc_model *model, const tsc_series_result *original,
                                         const tsc_edit *const *edits, size_t n_edits,
                                         const char *editor, tsc_series_result **out,
                                         tsc_error *err);

/* 1 when the result carries the reader's edits (n_edits > 0). */
int tsc_series_result_is_edited(const tsc_series_result *r);
/* Who edited; "" when unedited or not stated. */
const char *tsc_series_result_get_editor(const tsc_series_result *r);
/* TSC_SLICE_* bits of what the edits did to slice k (0: untouched). */
unsigned tsc_series_result_get_slice_edits(const tsc_series_result *r, size_t k);
size_t tsc_series_result_n_rejected(const tsc_series_result *r);
const tsc_rejected_lesion *tsc_series_result_get_rejected(const tsc_series_result *r, size_t i);
/* 1 when 3D lesion i of an edited result is one the reader accepted. */
int tsc_series_result_lesion3d_is_accepted(const tsc_series_result *r, size_t i);
/* The index in the unedited result of the lesion 3D lesion i of an edited
 * result mostly overlaps; (size_t)-1 for a lesion the reader painted.  On
 * an unedited result, i itself. */
size_t tsc_series_result_get_lesion3d_origin(const tsc_series_result *r, size_t i);

/* The edits in one line, as every output states them: "Edited by Dr A
 * Reader: 2 lesions accepted, 1 rejected; brush on slices 6, 7; eraser on
 * slice 3"
 * (slices numbered from 1; "the reader" when `with_name` is 0 or no editor
 * was named; "" when unedited).  Writes at most `size` bytes (cut with
 * "..."); returns `buf`. */
char *tsc_series_result_describe_edits(const tsc_series_result *r, int with_name, char *buf,
                                       size_t size);

/* ---- the edits file (docs/RESULT_FORMAT.md, "The edits file") ---------- */

/* What an edits file is about and what the edits were made on.  Strings
 * are borrowed; NULL or "" when not known. */
typedef struct tsc_edit_file_info {
    size_t struct_size;       /* sizeof(tsc_edit_file_info) */
    const char *study_uid;    /* StudyInstanceUID of the series */
    const char *series_uid;   /* SeriesInstanceUID */
    const char *method;       /* "cnn", "threshold", "region-growing" */
    const char *model;        /* "<name> <version>" of the model; "" for the classical methods */
    const char *model_sha256; /* of the model's network */
    const char *editor;       /* who edited */
    const char *saved_at;     /* UTC, "2026-12-05T07:41:00Z"; when saving, NULL: now */
} tsc_edit_file_info;

/* The file name of a series' edits in an export folder:
 * "tumorscope-edits-<16 hex digits>.json", the digits from the SHA-256 of
 * the study and series UIDs (a name that keys the series without showing
 * its UIDs).  Writes at most `size` bytes; returns `buf`. */
char *tsc_edit_file_name(const char *study_uid, const char *series_uid, char *buf, size_t size);

/* Saves edits[0..n_edits) of a series atomically to `path` (never put it
 * in a study folder: hosts save beside their exports).  Slice k of the
 * series is SOP instance slice_uids[k], frame slice_frames[k] (NULL: all
 * 0); the file names slices by them so that a re-sorted series still maps.
 * Painted classes are saved by their name in `model` (NULL: by index).
 * TSC_EINVAL when an edit names a slice past n_slices; TSC_EIO. */
tsc_status tsc_edit_file_save(const char *path, const tsc_edit_file_info *info,
                              const tsc_model *model, const tsc_edit *const *edits, size_t n_edits,
                              const char *const *slice_uids, const int *slice_frames,
                              size_t n_slices, tsc_error *err);

typedef struct tsc_edit_file tsc_edit_file;

/* Reads an edits file.  TSC_EIO when it cannot be read, TSC_EFORMAT (with
 * what is wrong) when it is not an edits file of a version we read. */
tsc_status tsc_edit_file_load(const char *path, tsc_edit_file **out, tsc_error *err);
void tsc_edit_file_free(tsc_edit_file *f);
/* What the file says it is about (borrowed from `f`; strings never NULL). */
const tsc_edit_file_info *tsc_edit_file_get_info(const tsc_edit_file *f);
/* TSC_OK when the file is about the series of `current` (study and series
 * UIDs) and was made on the same method and model; otherwise TSC_EINVAL
 * with the difference, and the host says so and does not apply the edits. */
tsc_status tsc_edit_file_check(const tsc_edit_file *f, const tsc_edit_file_info *current,
                               tsc_error *err);
/* The file's edits for the series as opened now (slice k: slice_uids[k],
 * frame slice_frames[k], NULL: 0), in order, for
 * tsc_series_result_apply_edits(): *edits (n_edits pointers) is borrowed
 * from `f` until the next call or tsc_edit_file_free().  TSC_EINVAL when an
 * edit names a slice the series does not have, or a class `model` does not
 * have. */
tsc_status tsc_edit_file_resolve(tsc_edit_file *f, const tsc_model *model,
                                 const char *const *slice_uids, const int *slice_frames,
                                 size_t n_slices, const tsc_edit *const **edits, size_t *n_edits,
                                 tsc_error *err);

#ifdef __cplusplus
}
#endif
#endif
