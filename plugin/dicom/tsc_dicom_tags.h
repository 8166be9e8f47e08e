/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_dicom_tags: every attribute of the file a slice comes from, as text,
 * for a DICOM tag browser (C API over DCMTK).
 *
 * The list holds the file meta information (group 0002) and then the data
 * set, in file order; the items of a sequence follow it one level deeper.
 * With TSC_DICOM_TAGS_DEIDENTIFY the values are those the de-identified
 * outputs would carry (tsc_deid.h, PS3.15 Basic Profile): patient name and
 * ID are the run's pseudonyms, dates and times shifted, instance UIDs
 * remapped, study and series descriptions neutral; what the profile
 * removes — and, because a source header is shown here and not rebuilt as
 * in the outputs, every person name, free text (LT, ST, UT), comment,
 * address, description and identifier — is listed with its value hidden,
 * so that the browser shows the attribute exists but never its value.
 *
 * Never throws; nothing here logs a value. */
#ifndef TSC_DICOM_TAGS_H
#define TSC_DICOM_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "tsc_dicom.h"
#include "tsc_status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    TSC_DICOM_TAGS_DEIDENTIFY = 1u << 0,
};

/* One attribute, or one item of a sequence (group 0xFFFE, element 0xE000,
 * keyword "Item", vr ""). */
typedef struct tsc_dicom_tag {
    size_t struct_size; /* sizeof(tsc_dicom_tag) of the plugin; fields are only appended */
    uint16_t group, element;
    char vr[3];          /* "PN", "SQ", ... ("" for an item) */
    unsigned depth;      /* 0 at the top; +1 per enclosing sequence item */
    const char *keyword; /* the dictionary's name, "PatientName"; "" if unknown */
    /* The value as text: strings as stored (multiple values separated by
     * '\\', at most 1024 characters, cut with "…"), numbers in decimal,
     * "(sequence, 2 items)", "(pixel data, 131072 bytes, not shown)",
     * "(binary, 12 bytes: 01 02 …)", "(hidden: de-identification)",
     * "(emptied: de-identification)" (kept empty in the outputs). */
    const char *value;
    int hidden; /* 1 when de-identification hides or empties the value */
} tsc_dicom_tag;

typedef struct tsc_dicom_tag_list tsc_dicom_tag_list;

/* At most this many rows per list: the last one then says how many
 * attributes were left out (a multi-frame object's per-frame groups can
 * hold hundreds of thousands). */
#define TSC_DICOM_TAGS_MAX_ROWS 50000

/* The attributes of the file that slice `slice` of series `series` comes
 * from (the whole object for a frame of a multi-frame object), read again
 * from disk.  `flags`: TSC_DICOM_TAGS_*.  TSC_EIO when the file cannot be
 * read any more (moved, changed), with the file's name and what to do. */
tsc_status tsc_dicom_slice_tags(const tsc_dicom_index *index, size_t series, size_t slice,
                                unsigned flags, tsc_dicom_tag_list **out, tsc_error *err);
size_t tsc_dicom_tag_list_count(const tsc_dicom_tag_list *list);
/* Borrowed; valid until the list is freed. */
const tsc_dicom_tag *tsc_dicom_tag_list_get(const tsc_dicom_tag_list *list, size_t i);
void tsc_dicom_tag_list_free(tsc_dicom_tag_list *list);

#ifdef __cplusplus
}
#endif

#endif
