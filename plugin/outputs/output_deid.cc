/* SPDX-License-Identifier: BSD-3-Clause */
/* De-identification of a finished DICOM output (SEG, SR, SC) after PS3.15
 * Annex E, Basic Application Level Confidentiality Profile with the Retain
 * Longitudinal Temporal Information with Modified Dates Option.  Applied to
 * the whole object just before it is saved, so that nothing DCMTK or a
 * copied source header put into it escapes.  The policy itself (what is
 * removed, which UID becomes which, by how much dates move) lives in
 * plugin/dicom (deid_dataset.cc, deid.cc) and is shared with the reports, the
 * CLI and the tag browser. */
#include "output_private.h"
#include "deid_dataset_private.h"
#include "tsc_deid.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcsequen.h>

namespace tsc_out {

namespace {

/* Removes, empties or replaces what the Basic Profile says, in `item` and
 * every nested item. */
void apply_actions(DcmItem &item)
{
    for (unsigned long i = 0; i < item.card();) {
        DcmElement *e = item.getElement(i);
        switch (tsc_deid::action(e->getTag().getXTag())) {
        case tsc_deid::Action::remove: delete item.remove(i); continue;
        case tsc_deid::Action::blank: e->putString(""); break;
        case tsc_deid::Action::dummy: e->putString("0"); break;
        case tsc_deid::Action::keep:
            if (e->ident() == EVR_SQ) {
                DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(e);
                for (unsigned long j = 0; j < sq->card(); j++) apply_actions(*sq->getItem(j));
            }
            break;
        }
        i++;
    }
}

} // namespace

void deidentify(DcmItem &ds, const Context &c)
{
    tsc_deid::map_values(ds, c.pt);
    apply_actions(ds);
    check(ds.putAndInsertString(DCM_PatientIdentityRemoved, "YES"), "Patient Identity Removed");
    check(ds.putAndInsertString(DCM_LongitudinalTemporalInformationModified, "MODIFIED"),
          "Longitudinal Temporal Information Modified");
    /* LO: at most 64 characters per value, one statement each. */
    check(ds.putAndInsertString(DCM_DeidentificationMethod,
                                "tumorscope: PS3.15 Basic Profile, modified dates option\\"
                                "patient name and ID pseudonymised, UIDs remapped\\"
                                "dates and times shifted by one offset per patient\\"
                                "descriptions replaced; institution and staff removed"),
          "De-identification Method");
    ds.findAndDeleteElement(DCM_DeidentificationMethodCodeSequence);
    static const Code METHODS[] = {
        {"113100", "DCM", "Basic Application Confidentiality Profile"},
        {"113107", "DCM", "Retain Longitudinal Temporal Information Modified Dates Option"},
    };
    for (const Code &m : METHODS) {
        DcmItem *it = nullptr;
        check(ds.findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, it, -2),
              "De-identification Method Code Sequence");
        it->putAndInsertString(DCM_CodeValue, m.value);
        it->putAndInsertString(DCM_CodingSchemeDesignator, m.scheme);
        it->putAndInsertString(DCM_CodeMeaning, m.meaning);
    }
}

} // namespace tsc_out
