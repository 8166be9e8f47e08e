/* SPDX-License-Identifier: BSD-3-Clause */
/* De-identification of a finished DICOM output (SEG, SR, SC) after PS3.15
 * Annex E, Basic Application Level Confidentiality Profile with the Retain
 * Longitudinal Temporal Information with Modified Dates Option.  Applied to
 * the whole object just before it is saved, so that nothing DCMTK or a
 * copied source header put into it escapes: the policy itself (which UID
 * becomes which, by how much dates move) lives in deid.cc and is shared with
 * the reports and the CLI. */
#include "output_private.h"
#include "tsc_deid.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <set>

namespace tsc_out {

namespace {

struct Pair {
    DcmTagKey date, time;
};

/* Dates and the times that belong to them: shifted together. */
const Pair PAIRS[] = {
    {DCM_StudyDate, DCM_StudyTime},
    {DCM_SeriesDate, DCM_SeriesTime},
    {DCM_AcquisitionDate, DCM_AcquisitionTime},
    {DCM_ContentDate, DCM_ContentTime},
    {DCM_InstanceCreationDate, DCM_InstanceCreationTime},
    {DCM_DateOfSecondaryCapture, DCM_TimeOfSecondaryCapture},
    {DCM_PerformedProcedureStepStartDate, DCM_PerformedProcedureStepStartTime},
    {DCM_PerformedProcedureStepEndDate, DCM_PerformedProcedureStepEndTime},
    {DCM_Date, DCM_Time},
};

/* Annex E "X": removed wherever they appear. */
const DcmTagKey REMOVE[] = {
    DCM_InstitutionName, DCM_InstitutionAddress, DCM_InstitutionalDepartmentName,
    DCM_InstitutionCodeSequence, DCM_StationName,
    DCM_ReferringPhysicianAddress, DCM_ReferringPhysicianTelephoneNumbers,
    DCM_ReferringPhysicianIdentificationSequence, DCM_PerformingPhysicianName,
    DCM_PerformingPhysicianIdentificationSequence, DCM_OperatorsName,
    DCM_OperatorIdentificationSequence, DCM_PhysiciansOfRecord,
    DCM_PhysiciansOfRecordIdentificationSequence, DCM_NameOfPhysiciansReadingStudy,
    DCM_PhysiciansReadingStudyIdentificationSequence, DCM_RequestingPhysician,
    DCM_RequestingService, DCM_RETIRED_OtherPatientIDs, DCM_OtherPatientIDsSequence,
    DCM_OtherPatientNames, DCM_PatientBirthName, DCM_PatientMotherBirthName, DCM_PatientAddress,
    DCM_PatientTelephoneNumbers, DCM_PatientBirthTime, DCM_PatientAge, DCM_PatientSize,
    DCM_PatientWeight, DCM_PatientComments, DCM_AdditionalPatientHistory,
    DCM_RETIRED_MedicalRecordLocator, DCM_EthnicGroup, DCM_Occupation, DCM_MilitaryRank,
    DCM_BranchOfService, DCM_PatientReligiousPreference, DCM_IssuerOfPatientID,
    DCM_RETIRED_StudyComments, DCM_VisitComments, DCM_ProtocolName, DCM_RequestAttributesSequence,
    DCM_PerformedProcedureStepDescription, DCM_PerformedProcedureStepID,
    DCM_RequestedProcedureDescription, DCM_ScheduledProcedureStepDescription,
    DCM_AdmittingDiagnosesDescription, DCM_PerformedLocation,
};

/* Annex E "Z" where our IODs make them type 2: kept, emptied.  (StudyID
 * is one too; identity() in output_common.cc already gives it a dummy.) */
const DcmTagKey BLANK[] = {
    DCM_ReferringPhysicianName, DCM_AccessionNumber, DCM_PatientBirthDate, DCM_PatientSex,
};

/* UIDs that name a kind of thing (a SOP class, a transfer syntax, a coding
 * scheme), not an instance: never replaced. */
bool names_a_kind(const DcmTagKey &key, const OFString &value)
{
    if (value.compare(0, 14, "1.2.840.10008.") == 0) return true;
    OFString name = DcmTag(key).getTagName();
    for (const char *part : {"ClassUID", "TransferSyntax", "CodingSchemeUID", "MappingResourceUID",
                             "ContextUID", "CreatorUID"})
        if (name.find(part) != OFString_npos) return true;
    return false;
}

/* Applies `fn` to every '\\'-separated value of `e`. */
template <class Fn> void map_values(DcmElement *e, Fn fn)
{
    OFString all;
    if (e->getOFStringArray(all).bad() || all.empty()) return;
    std::string in = all.c_str(), out;
    size_t start = 0;
    while (true) {
        size_t end = in.find('\\', start);
        std::string part = in.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (!out.empty() || start) out += '\\';
        out += fn(part);
        if (end == std::string::npos) break;
        start = end + 1;
    }
    e->putString(out.c_str());
}

std::string shift_datetime(const tsc_dicom_patient_info *pt, const std::string &v)
{
    /* YYYYMMDD[HH[MM[SS[.F]]]][&ZZXX]: the offset suffix is kept; a value
     * shorter than a full date (a year alone) cannot be shifted: removed. */
    if (v.size() < 8) return "";
    size_t tz = v.find_first_of("+-", 8);
    std::string body = v.substr(0, tz), suffix = tz == std::string::npos ? "" : v.substr(tz);
    std::string date = body.substr(0, 8), time = body.size() > 8 ? body.substr(8) : "";
    char d[TSC_DEID_DATE_SIZE], t[TSC_DEID_TIME_SIZE];
    tsc_deid_shift(pt, date.c_str(), time.c_str(), d, t);
    if (!d[0]) return "";
    return std::string(d) + t + suffix;
}

void walk(DcmItem &item, const Context &c)
{
    std::set<DcmTagKey> done;
    for (const Pair &p : PAIRS) {
        DcmElement *de = nullptr, *te = nullptr;
        item.findAndGetElement(p.date, de, OFFalse);
        item.findAndGetElement(p.time, te, OFFalse);
        if (!de && !te) continue;
        OFString d, t;
        if (de) de->getOFString(d, 0);
        if (te) te->getOFString(t, 0);
        char nd[TSC_DEID_DATE_SIZE], nt[TSC_DEID_TIME_SIZE];
        tsc_deid_shift(c.pt, d.c_str(), t.c_str(), nd, nt);
        if (de) de->putString(nd);
        if (te) te->putString(nt);
        done.insert(p.date);
        done.insert(p.time);
    }
    const std::set<DcmTagKey> remove(std::begin(REMOVE), std::end(REMOVE));
    const std::set<DcmTagKey> blank(std::begin(BLANK), std::end(BLANK));
    for (unsigned long i = 0; i < item.card();) {
        DcmElement *e = item.getElement(i);
        DcmTagKey key = e->getTag().getXTag();
        /* Private attributes (odd groups) and the listed ones go. */
        if ((key.getGroup() & 1) || remove.count(key)) {
            delete item.remove(i);
            continue;
        }
        i++;
        if (blank.count(key)) {
            e->putString("");
            continue;
        }
        if (key == DCM_DeviceSerialNumber) { /* "D": a dummy value */
            e->putString("0");
            continue;
        }
        if (done.count(key)) continue;
        switch (e->ident()) {
        case EVR_SQ: {
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(e);
            for (unsigned long j = 0; j < sq->card(); j++) walk(*sq->getItem(j), c);
            break;
        }
        case EVR_UI:
            map_values(e, [&](const std::string &v) {
                if (v.empty() || names_a_kind(key, v.c_str())) return v;
                char out[TSC_DEID_UID_SIZE];
                tsc_deid_uid(v.c_str(), out);
                return std::string(out);
            });
            break;
        case EVR_DA:
            map_values(e, [&](const std::string &v) {
                char out[TSC_DEID_DATE_SIZE];
                return std::string(tsc_deid_shift(c.pt, v.c_str(), nullptr, out, nullptr));
            });
            break;
        case EVR_TM:
            map_values(e, [&](const std::string &v) {
                char out[TSC_DEID_TIME_SIZE];
                tsc_deid_shift_time(c.pt, v.c_str(), out);
                return std::string(out);
            });
            break;
        case EVR_DT:
            map_values(e, [&](const std::string &v) { return shift_datetime(c.pt, v); });
            break;
        default: break;
        }
    }
}

} // namespace

void deidentify(DcmItem &ds, const Context &c)
{
    walk(ds, c);
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
