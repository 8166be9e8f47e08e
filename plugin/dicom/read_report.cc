// SPDX-License-Identifier: BSD-3-Clause
/* Structured reports stored with a study: indexed apart from the image
 * series (tsc_dicom.h), so that a host can show a result computed elsewhere
 * (tumorscope's Orthanc plugin stores a TID 1500 report beside its SEG)
 * with what made it and when.  Only what a reader needs to recognise the
 * report is kept: the finding in words, the number of measurement groups
 * and their comments, the series it is about; the measurements themselves
 * stay in the file. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <set>
#include <string>

#include "read_index_private.h"

using namespace tsc_dicom_internal;

namespace tsc_dicom_internal
{

bool is_structured_report(const std::string &sop_class)
{
    return DSRTypes::sopClassUIDToDocumentType(sop_class.c_str()) != DSRTypes::DT_invalid;
}

/* Every series of the Current Requested Procedure Evidence (and of the
 * Pertinent Other Evidence), in order. */
static void evidence_series(DcmItem *ds, std::vector<std::string> *out)
{
    for (const DcmTagKey &seq :
         {DCM_CurrentRequestedProcedureEvidenceSequence, DCM_PertinentOtherEvidenceSequence}) {
        DcmSequenceOfItems *studies = nullptr;
        if (ds->findAndGetSequence(seq, studies).bad() || !studies) continue;
        for (unsigned long i = 0; i < studies->card(); i++) {
            DcmSequenceOfItems *series = nullptr;
            if (studies->getItem(i)
                    ->findAndGetSequence(DCM_ReferencedSeriesSequence, series)
                    .bad() ||
                !series)
                continue;
            for (unsigned long j = 0; j < series->card(); j++) {
                std::string uid = get_string(series->getItem(j), DCM_SeriesInstanceUID);
                if (!uid.empty()) out->push_back(uid);
            }
        }
    }
}

/* The finding in words and the measurement groups, from the content tree. */
static void read_content(DcmItem *ds, Report *r)
{
    DSRDocument doc;
    /* A report DCMTK cannot read is still listed, from its header. */
    if (doc.read(*ds).bad()) return;
    DSRDocumentTree &tree = doc.getTree();
    if (!tree.gotoRoot()) return;
    r->content_readable = true;
    r->title = tree.getCurrentContentItem().getConceptName().getCodeMeaning().c_str();
    /* The level of the measurement group being read; 0: outside one (the
     * document's own evaluations sit in a container of their own). */
    size_t group_level = 0;
    do {
        DSRContentItem &item = tree.getCurrentContentItem();
        size_t level = tree.getLevel();
        if (group_level && level <= group_level) group_level = 0;
        const DSRCodedEntryValue &concept = item.getConceptName();
        const OFString &code = concept.getCodeValue();
        const OFString &scheme = concept.getCodingSchemeDesignator();
        if (scheme != "DCM") continue;
        if (item.getValueType() == DSRTypes::VT_Container && code == "125007") {
            r->n_groups++;
            group_level = level;
        } else if (item.getValueType() == DSRTypes::VT_Text && code == "121071" &&
                   r->finding.empty()) {
            r->finding = item.getStringValue().c_str();
        } else if (item.getValueType() == DSRTypes::VT_Text && code == "121106" && group_level &&
                   level == group_level + 1) {
            r->group_comments.resize(r->n_groups);
            r->group_comments.back() = item.getStringValue().c_str();
        }
    } while (tree.iterate());
}

void read_report(DcmItem *ds, const std::string &path, Report *r)
{
    r->path = path;
    r->sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
    r->series_uid = get_string(ds, DCM_SeriesInstanceUID);
    r->study_uid = get_string(ds, DCM_StudyInstanceUID);
    r->manufacturer = get_string(ds, DCM_Manufacturer);
    r->software = get_string(ds, DCM_SoftwareVersions);
    for (size_t at; (at = r->software.find('\\')) != std::string::npos;)
        r->software.replace(at, 1, "; ");
    r->content_date = get_string(ds, DCM_ContentDate);
    r->content_time = get_string(ds, DCM_ContentTime);
    r->completion = get_string(ds, DCM_CompletionFlag);
    r->verification = get_string(ds, DCM_VerificationFlag);
    evidence_series(ds, &r->evidence_series_all);
    read_content(ds, r);
}

void finish_reports(tsc_dicom_index *ix)
{
    std::set<std::string> images;
    for (const Series &se : ix->series) images.insert(se.uid);
    for (Report &r : ix->reports) {
        /* The series it is about: the first image series of its evidence
         * that is open here, else the first it names (a SEG's is not). */
        r.evidence_series.clear();
        for (const std::string &u : r.evidence_series_all)
            if (images.count(u)) {
                r.evidence_series = u;
                break;
            }
        if (r.evidence_series.empty() && !r.evidence_series_all.empty())
            r.evidence_series = r.evidence_series_all.front();
        tsc_dicom_report_info &in = r.info;
        in.struct_size = sizeof in;
        in.path = r.path.c_str();
        in.sop_instance_uid = r.sop_instance_uid.c_str();
        in.series_uid = r.series_uid.c_str();
        in.study_uid = r.study_uid.c_str();
        in.referenced_series_uid = r.evidence_series.c_str();
        in.title = r.title.c_str();
        in.manufacturer = r.manufacturer.c_str();
        in.software = r.software.c_str();
        in.content_date = r.content_date.c_str();
        in.content_time = r.content_time.c_str();
        in.finding = r.finding.c_str();
        in.completion = r.completion.c_str();
        in.verification = r.verification.c_str();
        in.n_measurement_groups = r.n_groups;
        in.content_readable = r.content_readable;
    }
}

} // namespace tsc_dicom_internal

extern "C" size_t tsc_dicom_n_reports(const tsc_dicom_index *ix)
{
    return ix->reports.size();
}

extern "C" const tsc_dicom_report_info *tsc_dicom_get_report(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->reports.size());
    return &ix->reports[i].info;
}

extern "C" const char *tsc_dicom_get_report_group_comment(const tsc_dicom_index *ix, size_t i,
                                                          size_t k)
{
    TSC_ASSERT(i < ix->reports.size() && k < ix->reports[i].n_groups);
    const std::vector<std::string> &c = ix->reports[i].group_comments;
    return k < c.size() ? c[k].c_str() : "";
}
