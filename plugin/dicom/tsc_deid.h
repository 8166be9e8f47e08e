/* SPDX-License-Identifier: BSD-3-Clause */
/* tsc_deid: de-identification of everything tumorscope prints or writes,
 * after DICOM PS3.15 Annex E, Basic Application Level Confidentiality
 * Profile with the Retain Longitudinal Temporal Information with Modified
 * Dates Option (docs/REPORTS.md, "De-identification").
 *
 * One policy for every output (PNG and PDF reports, SEG, SR, Secondary
 * Capture, the CLI's JSON):
 * - UIDs: each source UID is replaced by "2.25.<random 128-bit number>", the
 *   same replacement for the same UID until the process ends, so that the
 *   SEG, SR and SC written in one run still reference each other and the
 *   (de-identified) source images.
 * - Dates and times: shifted back by one random offset per patient (365 to
 *   3652 days plus 0 to 86399 seconds), the same for the whole run, so that
 *   intervals between studies, series and our own outputs are kept.
 * - Patient: "Anonymous^<tag>" and "TSC-<tag>", one random tag per patient
 *   per run; birth date and sex removed.
 * - Descriptions: replaced by neutral text made from the modality and the
 *   contrast label (below); real descriptions hold names.
 *
 * Plain C; thread-safe.  Nothing here logs a value it is given. */
#ifndef TSC_DEID_H
#define TSC_DEID_H

#include <stddef.h>
#include <stdio.h>

#include "tsc_dicom.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TSC_DEID_UID_SIZE 65  /* a UID (at most 64 characters) and its NUL */
#define TSC_DEID_TAG_SIZE 9   /* 8 hexadecimal digits and the NUL */
#define TSC_DEID_DATE_SIZE 9  /* YYYYMMDD */
#define TSC_DEID_TIME_SIZE 17 /* HHMMSS.FFFFFF */

/* Writes the replacement of `uid` into `out` ("" for ""). */
void tsc_deid_uid(const char *uid, char out[TSC_DEID_UID_SIZE]);

/* The dummy StudyID (Annex E "Z/D", which DICOMDIRs need) of the study
 * `study_uid`: "S" and the last 10 digits of the study's replacement UID, so
 * that it is one per study. */
void tsc_deid_study_id(const char *study_uid, char out[TSC_DEID_UID_SIZE]);

/* The pseudonym tag of patient `pt` (upper-case hexadecimal). */
void tsc_deid_patient_tag(const tsc_dicom_patient_info *pt, char out[TSC_DEID_TAG_SIZE]);

/* Shifts the DICOM date `date` (YYYYMMDD) and time `time` (HHMMSS with
 * optional fraction; NULL or "" when there is none) by the offset of patient
 * `pt`.  A date without a time is shifted as if at noon.  `date_out` and
 * `time_out` (either may be NULL) are "" when the input is not a valid date
 * or time.  Returns `date_out`. */
char *tsc_deid_shift(const tsc_dicom_patient_info *pt, const char *date, const char *time,
                     char *date_out, char *time_out);

/* Shifts a time of day alone (no date): modulo 24 h.  "" when invalid. */
void tsc_deid_shift_time(const tsc_dicom_patient_info *pt, const char *time,
                         char time_out[TSC_DEID_TIME_SIZE]);

/* Shifts a report timestamp "YYYY-MM-DD HH:MM" in place (left as is when
 * it has another form). */
void tsc_deid_shift_timestamp(const tsc_dicom_patient_info *pt, char *when, size_t n);

/* ---- neutral descriptions (header-only: hosts outside the plugin use the
 * same text without linking anything) ---- */

/* "MR T1 post-contrast", "MR series" or "Series".  Returns `out`. */
static inline const char *tsc_deid_series_description(const char *modality,
                                                       const char *contrast_label, char *out,
                                                       size_t n)
{
    const char *m = modality && *modality ? modality : "";
    const char *l = contrast_label && *contrast_label ? contrast_label : "";
    if (*m && *l) snprintf(out, n, "%s %s", m, l);
    else if (*m) snprintf(out, n, "%s series", m);
    else if (*l) snprintf(out, n, "%s series", l);
    else snprintf(out, n, "Series");
    return out;
}

/* "MR study" or "Study".  Returns `out`. */
static inline const char *tsc_deid_study_description(const char *modality, char *out, size_t n)
{
    if (modality && *modality) snprintf(out, n, "%s study", modality);
    else snprintf(out, n, "Study");
    return out;
}

#ifdef __cplusplus
}
#endif
#endif
