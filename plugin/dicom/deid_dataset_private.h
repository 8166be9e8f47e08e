// SPDX-License-Identifier: BSD-3-Clause
/* The de-identification policy of tsc_deid.h applied to a DCMTK data set
 * (C++ only): which attributes PS3.15 Annex E's Basic Profile removes or
 * empties, and how dates, times and UIDs are replaced.  One policy for the
 * DICOM outputs (plugin/outputs/output_deid.cc), which apply it to what they
 * write, and the tag browser (read_tags.cc), which shows a source header as
 * the outputs would carry it. */
#ifndef TSC_DEID_DATASET_PRIVATE_H
#define TSC_DEID_DATASET_PRIVATE_H

#ifndef __cplusplus
#error "deid_dataset_private.h is for the C++ files of plugin/"
#endif

#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dctagkey.h>

#include "tsc_dicom.h"

namespace tsc_deid
{

/* What the Basic Profile does with an attribute, by its tag alone. */
enum class Action {
    keep,   /* kept; dates, times and UIDs in it are still replaced (map_values) */
    remove, /* Annex E "X", and every private attribute (odd group) */
    blank,  /* Annex E "Z" where our IODs make it type 2: kept, emptied */
    dummy,  /* Annex E "D": a dummy value (DeviceSerialNumber "0") */
};
Action action(const DcmTagKey &key);

/* Replaces, in place and in every nested item, the dates and times of `item`
 * (shifted by the offset of patient `pt`; a date and the time that belongs to
 * it together) and its instance UIDs (remapped; UIDs that name a kind of
 * thing, such as SOP classes, are kept).  Removes nothing. */
void map_values(DcmItem &item, const tsc_dicom_patient_info *pt);

} // namespace tsc_deid

#endif
