/* SPDX-License-Identifier: BSD-3-Clause */
/* The TID 1500 Measurement Report: one measurement group (TID 1411) per
 * lesion per slice with its long axis, short axis and area, the type as the
 * finding, the classifier confidence as a qualitative evaluation, the SEG
 * segment and frame it was measured on, and the source images in the image
 * library and the evidence. */
#include "tsc_format.h"
#include "output_private.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cmath>
#include <cstdio>
#include <set>

namespace tsc_out {

DSRCodedEntryValue coded(const Code &c)
{
    return DSRCodedEntryValue(c.value, c.scheme, c.meaning);
}

const Code CODE_FINDING = {"121071", "DCM", "Finding"};
const Code CODE_COMMENT = {"121106", "DCM", "Comment"};
const char *const DISCLAIMER = "Decision support only - not for diagnostic use";

/* Measurements to 0.01 mm (mm², mL): finer than any MR pixel, without
 * pretending float noise is information. */
std::string mm(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

static std::string pct(double p)
{
    char buf[32];
    return tsc_format_percent(p, buf, sizeof buf);
}

/* One line stating the series verdict for the qualitative evaluation: the
 * plugin's one description of the result (the words, the stated
 * probability, the reason), as the overlay, the reports and the JSON say it. */
static std::string series_summary(const Context &c)
{
    tsc_description d;
    tsc_series_result_describe(c.model, c.r, &d);
    std::string s = d.finding;
    if (d.confidence_text[0]) {
        s += std::string(" (") + d.confidence_text +
             (d.verdict == TSC_VERDICT_NO_TUMOR ? " = P(no tumour))" : " = P(type | tumour))");
    }
    if (d.verdict == TSC_VERDICT_TUMOR && std::isfinite(d.tumor_probability))
        s += "; P(tumour) " + pct(d.tumor_probability);
    if (d.reason[0]) s += std::string(": ") + d.reason;
    double v = tsc_series_result_get_volume_ml(c.r);
    if (std::isfinite(v) && d.verdict == TSC_VERDICT_TUMOR) {
        char buf[64];
        snprintf(buf, sizeof buf, "; volume %.2f mL", v);
        s += buf;
    }
    if (d.detail[0]) s += std::string("; ") + d.detail;
    if (d.scope_warning[0]) s += std::string("; ") + d.scope_warning;
    return s;
}

void start_report(TID1500_MeasurementReport &report, const Context &c)
{
    check(report.setLanguage(CID5000_Languages::English), "language");
    std::string device_uid = new_uid(SITE_INSTANCE_UID_ROOT);
    check(report.getObservationContext().addDeviceObserver(device_uid.c_str(), "tumorscope",
                                                           "tumorscope", "tumorscope"),
          "device observer");
    if (std::string(c.se->modality) == "MR")
        check(report.addProcedureReported(CMR_CID100::MRIUnspecifiedBodyRegion), "procedure");
    else
        check(report.addProcedureReported(CMR_CID100::ImagingProcedure), "procedure");
    check(report.getImageLibrary().createNewImageLibrary(), "image library");
}

void add_image_library_group(TID1500_MeasurementReport &report, const Context &c)
{
    /* One entry per source object. */
    TID1600_ImageLibrary &lib = report.getImageLibrary();
    check(lib.addImageGroup(), "image library group");
    std::set<std::string> listed;
    for (const SourceImage &s : c.src) {
        if (!listed.insert(s.path).second) continue; /* frames of one object */
        OFCondition entry = lib.addImageEntry(*s.header, TID1600_ImageLibrary::withAllDescriptors);
        /* A header value DCMTK refuses as a descriptor (PixelSpacing "nan")
         * must not cost the report: the entry keeps its reference only. */
        if (entry.bad()) entry = lib.addImageEntry(*s.header, TID1600_ImageLibrary::withoutDescriptors);
        check(entry, "image library entry " + s.path);
    }
}

void finish_image_library(TID1500_MeasurementReport &report)
{
    /* Study date, modality, geometry shared by all: said once per group
     * (nothing to move when an entry has no descriptors). */
    OFCondition moved = report.getImageLibrary().moveCommonImageDescriptorsToImageGroups();
    if (moved != CMR_EC_NoImageLibraryEntryDescriptorsToBeMoved) check(moved, "image library descriptors");
}

void add_document_evaluations(TID1500_MeasurementReport &report,
                              const std::vector<std::string> &findings)
{
    for (const std::string &f : findings)
        check(report.addQualitativeEvaluation(coded(CODE_FINDING), f.c_str()), "finding");
    check(report.addQualitativeEvaluation(coded(CODE_COMMENT), DISCLAIMER), "disclaimer");
}

void start_document(DSRDocument &doc, TID1500_MeasurementReport &report, const Context &c,
                    int series_number, const char *series_description)
{
    OFCondition cond = doc.setTreeFromRootTemplate(report, OFTrue);
    if (cond.bad()) {
        doc.createNewDocument(DSRTypes::DT_ComprehensiveSR);
        check(doc.setTreeFromRootTemplate(report, OFTrue), "building the measurement report");
    }
    if (c.utf8) doc.setSpecificCharacterSetType(DSRTypes::CS_UTF8);
    check(doc.createNewSeriesInStudy(c.study_uid.c_str()), "SR series");
    doc.setSeriesNumber(std::to_string(series_number).c_str());
    doc.setSeriesDescription(series_description);
    doc.setInstanceNumber("1");
    doc.setManufacturer("tumorscope");
    doc.setManufacturerModelName("tumorscope");
    doc.setSoftwareVersions(c.software.c_str(), OFFalse);
    doc.setDeviceSerialNumber("1");
}

void save_document(DSRDocument &doc, Context &c, const std::string &path)
{
    check(doc.completeDocument(), "completing the report");
    DcmFileFormat ff;
    check(doc.write(*ff.getDataset()), "writing the measurement report");
    apply_identity(*ff.getDataset(), c);
    /* Our own 2.25 UIDs rather than DCMTK's default root. */
    ff.getDataset()->putAndInsertString(DCM_SeriesInstanceUID,
                                        new_uid(SITE_SERIES_UID_ROOT).c_str());
    ff.getDataset()->putAndInsertString(DCM_SOPInstanceUID,
                                        new_uid(SITE_INSTANCE_UID_ROOT).c_str());
    save_atomic(ff, path, c);
    c.written.push_back(path);
}

void identify_group(TID1500_MeasurementReport &report, const std::string &id, const Code &finding)
{
    CMR_TID1411_in_TID1500 &m = report.getVolumetricROIMeasurements();
    check(m.setTrackingIdentifier(id.c_str()), "tracking identifier");
    check(m.setTrackingUniqueIdentifier(new_uid(SITE_INSTANCE_UID_ROOT).c_str()), "tracking UID");
    check(m.setFinding(coded(finding)), "finding");
}

void add_axes(TID1500_MeasurementReport &report, double long_mm, double short_mm)
{
    CMR_TID1411_in_TID1500 &m = report.getVolumetricROIMeasurements();
    typedef CMR_TID1411_in_TID1500::MeasurementValue Value;
    check(m.addMeasurement(CMR_CID7469::LongAxis,
                           Value(mm(long_mm).c_str(), CMR_CID7181::Millimeter)),
          "long axis");
    check(m.addMeasurement(CMR_CID7469::ShortAxis,
                           Value(mm(short_mm).c_str(), CMR_CID7181::Millimeter)),
          "short axis");
}

void write_sr(Context &c, const std::string &path)
{
    TID1500_MeasurementReport report(CMR_CID7021::ImagingMeasurementReport);
    start_report(report, c);
    add_image_library_group(report, c);
    finish_image_library(report);

    /* Measurement groups. */
    bool first = true;
    for (size_t k = 0; k < tsc_series_result_n_slices(c.r); k++) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        if (!r || tsc_result_get_verdict(r) != TSC_VERDICT_TUMOR) continue;
        size_t label = tsc_result_get_label(r);
        for (size_t j = 0; j < tsc_result_n_lesions(r); j++) {
            const tsc_lesion_info *le = tsc_result_get_lesion(r, j);
            if (!first) check(report.addVolumetricROIMeasurements(OFFalse), "measurement group");
            first = false;
            CMR_TID1411_in_TID1500 &m = report.getVolumetricROIMeasurements();
            char id[64];
            snprintf(id, sizeof id, "Lesion %zu on slice %zu", j + 1, k + 1);
            identify_group(report, id, class_code(c, r, label));
            if (!c.seg_sop_uid.empty() && c.segment_of_label.count(label) && c.frame_of_slice.count(k)) {
                DSRImageReferenceValue seg(UID_SegmentationStorage, c.seg_sop_uid.c_str());
                /* Segment only: DCMTK 3.6.7 writes a frame list instead of the
                 * segment list when both are set; the tracking identifier
                 * names the slice. */
                seg.getSegmentList().addItem((Uint16)c.segment_of_label.at(label));
                check(m.setReferencedSegment(seg), "referenced segment");
                check(m.setSourceSeriesForSegmentation(c.source_series_uid.c_str()),
                      "source series");
            }
            check(m.addFindingSite(coded(CODE_BRAIN)), "finding site");
            add_axes(report, le->diameter_mm, le->perpendicular_mm);
            typedef CMR_TID1411_in_TID1500::MeasurementValue Value;
            check(m.addMeasurement(CMR_CID7469::Area,
                                   Value(mm(le->area_mm2).c_str(), CMR_CID7181::SquareMillimeter)),
                  "area");
            /* The type in words, the confidence and the method as one comment:
             * standard concepts only, no private coding scheme. */
            tsc_description d;
            tsc_result_describe(c.model, r, &d);
            std::string note = d.finding;
            if (d.confidence_text[0]) note += std::string("; P(type | tumour) ") + d.confidence_text;
            if (std::isfinite(d.tumor_probability)) note += "; P(tumour) " + pct(d.tumor_probability);
            note += std::string("; method ") + tsc_method_to_string(tsc_result_get_method(r));
            note += "; slice " + std::to_string(k + 1);
            check(m.addQualitativeEvaluation(coded(CODE_COMMENT), note.c_str()), "comment");
        }
    }

    /* The series verdict and the disclaimer as document-level evaluations. */
    add_document_evaluations(report, {series_summary(c)});

    DSRDocument doc(DSRTypes::DT_EnhancedSR);
    start_document(doc, report, c, TSC_DICOM_SR_SERIES_NUMBER,
                   "tumorscope measurements (decision support only)");

    /* Evidence: every source instance and the SEG. */
    DSRSOPInstanceReferenceList &ev = doc.getCurrentRequestedProcedureEvidence();
    for (const SourceImage &s : c.src)
        check(ev.addItem(c.source_study_uid.c_str(), c.source_series_uid.c_str(), s.sop_class.c_str(),
                         s.sop_instance.c_str()),
              "evidence");
    if (!c.seg_sop_uid.empty())
        check(ev.addItem(c.study_uid.c_str(), c.seg_series_uid.c_str(), UID_SegmentationStorage,
                         c.seg_sop_uid.c_str()),
              "evidence");
    save_document(doc, c, path);
}

} // namespace tsc_out
