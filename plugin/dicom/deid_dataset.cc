// SPDX-License-Identifier: BSD-3-Clause
/* PS3.15 Annex E, Basic Application Level Confidentiality Profile with the
 * Retain Longitudinal Temporal Information with Modified Dates Option, on a
 * DCMTK data set (deid_dataset_private.h).  The replacements themselves
 * (which UID becomes which, by how much dates move) come from deid.cc. */
#include "deid_dataset_private.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <string>

#include "tsc_deid.h"

namespace tsc_deid
{

namespace
{

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
    DCM_InstitutionName,
    DCM_InstitutionAddress,
    DCM_InstitutionalDepartmentName,
    DCM_InstitutionCodeSequence,
    DCM_StationName,
    DCM_ReferringPhysicianAddress,
    DCM_ReferringPhysicianTelephoneNumbers,
    DCM_ReferringPhysicianIdentificationSequence,
    DCM_PerformingPhysicianName,
    DCM_PerformingPhysicianIdentificationSequence,
    DCM_OperatorsName,
    DCM_OperatorIdentificationSequence,
    DCM_PhysiciansOfRecord,
    DCM_PhysiciansOfRecordIdentificationSequence,
    DCM_NameOfPhysiciansReadingStudy,
    DCM_PhysiciansReadingStudyIdentificationSequence,
    DCM_RequestingPhysician,
    DCM_RequestingService,
    DCM_RETIRED_OtherPatientIDs,
    DCM_OtherPatientIDsSequence,
    DCM_OtherPatientNames,
    DCM_PatientBirthName,
    DCM_PatientMotherBirthName,
    DCM_PatientAddress,
    DCM_PatientTelephoneNumbers,
    DCM_PatientBirthTime,
    DCM_PatientAge,
    DCM_PatientSize,
    DCM_PatientWeight,
    DCM_PatientComments,
    DCM_AdditionalPatientHistory,
    DCM_RETIRED_MedicalRecordLocator,
    DCM_EthnicGroup,
    DCM_Occupation,
    DCM_MilitaryRank,
    DCM_BranchOfService,
    DCM_PatientReligiousPreference,
    DCM_IssuerOfPatientID,
    DCM_RETIRED_StudyComments,
    DCM_VisitComments,
    DCM_ProtocolName,
    DCM_RequestAttributesSequence,
    DCM_PerformedProcedureStepDescription,
    DCM_PerformedProcedureStepID,
    DCM_RequestedProcedureDescription,
    DCM_ScheduledProcedureStepDescription,
    DCM_AdmittingDiagnosesDescription,
    DCM_PerformedLocation,
};

/* Annex E "Z" where our IODs make them type 2: kept, emptied.  (StudyID
 * is one too; the outputs give it a dummy of their own.) */
const DcmTagKey BLANK[] = {
    DCM_ReferringPhysicianName,
    DCM_AccessionNumber,
    DCM_PatientBirthDate,
    DCM_PatientSex,
};

/* UIDs that name a kind of thing (a SOP class, a transfer syntax, a coding
 * scheme), not an instance: never replaced. */
bool names_a_kind(const DcmTagKey &key, const std::string &value)
{
    if (value.compare(0, 14, "1.2.840.10008.") == 0) return true;
    OFString name = DcmTag(key).getTagName();
    for (const char *part : {"ClassUID", "TransferSyntax", "CodingSchemeUID", "MappingResourceUID",
                             "ContextUID", "CreatorUID"})
        if (name.find(part) != OFString_npos) return true;
    return false;
}

/* Applies `fn` to every '\\'-separated value of `e`. */
template <class Fn>
void map_each(DcmElement *e, Fn fn)
{
    OFString all;
    if (e->getOFStringArray(all).bad() || all.empty()) return;
    std::string in = all.c_str(), out;
    size_t start = 0;
    while (true) {
        size_t end = in.find('\\', start);
        std::string part =
            in.substr(start, end == std::string::npos ? std::string::npos : end - start);
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

} // namespace

Action action(const DcmTagKey &key)
{
    static const std::set<DcmTagKey> remove(std::begin(REMOVE), std::end(REMOVE));
    static const std::set<DcmTagKey> blank(std::begin(BLANK), std::end(BLANK));
    if ((key.getGroup() & 1) || remove.count(key)) return Action::remove;
    if (blank.count(key)) return Action::blank;
    if (key == DCM_DeviceSerialNumber) return Action::dummy;
    return Action::keep;
}

void map_values(DcmItem &item, const tsc_dicom_patient_info *pt)
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
        tsc_deid_shift(pt, d.c_str(), t.c_str(), nd, nt);
        if (de) de->putString(nd);
        if (te) te->putString(nt);
        done.insert(p.date);
        done.insert(p.time);
    }
    for (unsigned long i = 0; i < item.card(); i++) {
        DcmElement *e = item.getElement(i);
        DcmTagKey key = e->getTag().getXTag();
        if (done.count(key)) continue;
        switch (e->ident()) {
        case EVR_SQ: {
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(e);
            for (unsigned long j = 0; j < sq->card(); j++) map_values(*sq->getItem(j), pt);
            break;
        }
        case EVR_UI:
            map_each(e, [&](const std::string &v) {
                if (v.empty() || names_a_kind(key, v)) return v;
                char out[TSC_DEID_UID_SIZE];
                tsc_deid_uid(v.c_str(), out);
                return std::string(out);
            });
            break;
        case EVR_DA:
            map_each(e, [&](const std::string &v) {
                char out[TSC_DEID_DATE_SIZE];
                return std::string(tsc_deid_shift(pt, v.c_str(), nullptr, out, nullptr));
            });
            break;
        case EVR_TM:
            map_each(e, [&](const std::string &v) {
                char out[TSC_DEID_TIME_SIZE];
                tsc_deid_shift_time(pt, v.c_str(), out);
                return std::string(out);
            });
            break;
        case EVR_DT:
            map_each(e, [&](const std::string &v) { return shift_datetime(pt, v); });
            break;
        default: break;
        }
    }
}

} // namespace tsc_deid
