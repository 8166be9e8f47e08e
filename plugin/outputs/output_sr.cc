/* SPDX-License-Identifier: BSD-3-Clause */
/* The TID 1500 Measurement Report: one measurement group (TID 1411) per
 * lesion per slice with its long axis, short axis and area, the type as the
 * finding, the classifier confidence as a qualitative evaluation, the SEG
 * segment and frame it was measured on, and the source images in the image
 * library and the evidence. */
#include "tsc_edit.h"
#include "tsc_format.h"
#include "output_private.h"
#include "render_private.h"

#include <algorithm>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmsr/codes/dcm.h>
#include <dcmtk/dcmsr/cmr/cid7181.h>
#include <dcmtk/dcmsr/cmr/cid7464.h>
#include <dcmtk/dcmsr/cmr/cid7469.h>
#include <dcmtk/dcmsr/cmr/tid1500.h>
#include <dcmtk/dcmsr/dsrdoc.h>

#include <cmath>
#include <cstdio>
#include <set>
#include <vector>

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

/* A one-component name gets its caret ("Jane Doe^"): validators read a PN
 * without one as the retired free-text form. */
std::string editor_pn(const Context &c)
{
    if (c.opt.deidentify || !tsc_series_result_is_edited(c.r)) return "";
    std::string name = tsc_series_result_get_editor(c.r);
    if (name.empty() && c.opt.observer) name = c.opt.observer;
    if (!name.empty() && name.find('^') == std::string::npos) name += "^";
    /* PN holds 64 characters: cut on a UTF-8 character boundary. */
    size_t len = std::min<size_t>(name.size(), 64);
    while (len > 0 && len < name.size() && ((unsigned char)name[len] & 0xC0) == 0x80) len--;
    return name.substr(0, len);
}

/* The reader's edits as document-level comments: one line for all of them
 * (who, what, which slices), then each rejected lesion with its reason, as
 * the unedited result measured it. */
static std::vector<std::string> edit_comments(const Context &c)
{
    std::vector<std::string> out;
    if (!tsc_series_result_is_edited(c.r)) return out;
    char buf[1024];
    out.push_back(tsc_series_result_describe_edits(c.r, !c.opt.deidentify, buf, sizeof buf));
    for (size_t i = 0; i < tsc_series_result_n_rejected(c.r); i++) {
        const tsc_rejected_lesion *rl = tsc_series_result_get_rejected(c.r, i);
        const tsc_lesion3d_info &l = *rl->info;
        std::string type = "tumour";
        if (c.model && l.label < tsc_model_n_classes(c.model) &&
            l.label != tsc_model_get_no_tumor_class(c.model))
            type = tsc_model_get_class_display(c.model, l.label);
        snprintf(
            buf, sizeof buf,
            "Rejected by the reader: lesion %zu of the analysis (%s, %.2f mL, slices %zu-%zu)%s%s",
            rl->lesion + 1, type.c_str(), l.volume_ml, l.first_slice + 1, l.last_slice + 1,
            rl->reason[0] ? ": " : "", rl->reason);
        out.push_back(buf);
    }
    for (size_t i = 0; i < tsc_series_result_n_lesions3d(c.r); i++) {
        if (!tsc_series_result_lesion3d_is_accepted(c.r, i)) continue;
        const tsc_lesion3d_info *l = tsc_series_result_get_lesion3d(c.r, i);
        snprintf(buf, sizeof buf, "Accepted by the reader: lesion %zu (%.2f mL, slices %zu-%zu)",
                 i + 1, l->volume_ml, l->first_slice + 1, l->last_slice + 1);
        out.push_back(buf);
    }
    return out;
}

void start_report(TID1500_MeasurementReport &report, const Context &c)
{
    check(report.setLanguage(CID5000_Languages::English), "language");
    std::string person = editor_pn(c);
    if (!person.empty())
        check(report.getObservationContext().addPersonObserver(person.c_str()), "person observer");
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
                              const std::vector<std::string> &findings,
                              const std::vector<std::string> &comments)
{
    for (const std::string &f : findings)
        check(report.addQualitativeEvaluation(coded(CODE_FINDING), f.c_str()), "finding");
    for (const std::string &f : comments)
        check(report.addQualitativeEvaluation(coded(CODE_COMMENT), f.c_str()), "comment");
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

/* ---- the reader's measurements (TID 1410 planar ROI groups) ----------- */

/* The current node's new child (`mode`: below it or after it) with its
 * concept name; stops on failure. */
static void add_item(DSRDocumentTree &t, DSRTypes::E_RelationshipType rel,
                     DSRTypes::E_ValueType type, DSRTypes::E_AddMode mode,
                     const DSRCodedEntryValue &concept, const char *what)
{
    if (t.addContentItem(rel, type, mode) == 0)
        fail(TSC_EINVAL, std::string("SR: the reader measurement's ") + what +
                             " could not be added to the content tree");
    check(t.getCurrentContentItem().setConceptName(concept), what);
}

static std::string num(double v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

/* The image region as DICOM draws it: a ruler's two ends (an open
 * POLYLINE), an ellipse's major then minor axis ends (ELLIPSE), a freehand
 * ROI closed by repeating its first point (POLYLINE).  Image pixel
 * coordinates, (0, 0) the top-left corner of the image. */
static DSRSpatialCoordinatesValue region(const tsc_reader_measurement &m)
{
    const double *p = m.points;
    if (m.kind == TSC_READER_ELLIPSE) {
        DSRSpatialCoordinatesValue v(DSRTypes::GT_Ellipse);
        double cx = (p[0] + p[2]) / 2, cy = (p[1] + p[3]) / 2;
        double rx = std::fabs(p[2] - p[0]) / 2, ry = std::fabs(p[3] - p[1]) / 2;
        DSRGraphicDataList &g = v.getGraphicDataList();
        if (rx >= ry) {
            g.addItem((Float32)(cx - rx), (Float32)cy);
            g.addItem((Float32)(cx + rx), (Float32)cy);
            g.addItem((Float32)cx, (Float32)(cy - ry));
            g.addItem((Float32)cx, (Float32)(cy + ry));
        } else {
            g.addItem((Float32)cx, (Float32)(cy - ry));
            g.addItem((Float32)cx, (Float32)(cy + ry));
            g.addItem((Float32)(cx - rx), (Float32)cy);
            g.addItem((Float32)(cx + rx), (Float32)cy);
        }
        return v;
    }
    DSRSpatialCoordinatesValue v(DSRTypes::GT_Polyline);
    DSRGraphicDataList &g = v.getGraphicDataList();
    size_t n = m.kind == TSC_READER_RULER ? 2 : m.n_points;
    for (size_t i = 0; i < n; i++) g.addItem((Float32)p[2 * i], (Float32)p[2 * i + 1]);
    if (m.kind == TSC_READER_FREEHAND) g.addItem((Float32)p[0], (Float32)p[1]);
    return v;
}

/* UCUM for the image's units: HU is [hnsf'U]; none is 1 ("no units");
 * anything else an annotation. */
static DSRCodedEntryValue ucum(const char *units)
{
    std::string u = units ? units : "";
    if (u == "HU") return DSRCodedEntryValue("[hnsf'U]", "UCUM", "Hounsfield unit");
    if (u.empty()) return DSRCodedEntryValue("1", "UCUM", "no units");
    return DSRCodedEntryValue("{" + u + "}", "UCUM", u);
}

/* One NUM item after the current one, with an optional derivation. */
static void add_num(DSRDocumentTree &t, const DSRCodedEntryValue &concept, double value,
                    const DSRCodedEntryValue &unit, const DSRCodedEntryValue *derivation,
                    const char *what)
{
    add_item(t, DSRTypes::RT_contains, DSRTypes::VT_Num, DSRTypes::AM_afterCurrent, concept, what);
    check(t.getCurrentContentItem().setNumericValue(
              DSRNumericMeasurementValue(num(value).c_str(), unit)),
          what);
    if (derivation) {
        add_item(t, DSRTypes::RT_hasConceptMod, DSRTypes::VT_Code, DSRTypes::AM_belowCurrent,
                 DSRCodedEntryValue(CODE_DCM_Derivation), what);
        check(t.getCurrentContentItem().setCodeValue(*derivation), what);
        t.goUp();
    }
}

/* One measurement group per reader measurement under Imaging Measurements:
 * DCMTK 3.6.7's TID 1500 classes have no TID 1410 (planar ROI), so these
 * groups are built on the document's tree. */
static void add_reader_groups(DSRDocument &doc, const Context &c)
{
    std::vector<tsc_reader_measurement> ms;
    for (size_t i = 0; i < c.opt.n_measurements; i++) {
        tsc_reader_measurement m;
        if (!tsc__measurement_get(&c.opt, i, &m) || m.slice >= c.src.size()) continue;
        m.number = tsc__measurement_number(&m, i);
        ms.push_back(m);
    }
    if (ms.empty()) return;
    DSRDocumentTree &t = doc.getTree();
    DSRTypes::E_AddMode mode = DSRTypes::AM_belowCurrent;
    if (t.gotoNamedNode(DSRCodedEntryValue(CODE_DCM_ImagingMeasurements)) == 0) {
        /* No lesion group: Imaging Measurements after the image library. */
        t.gotoRoot();
        t.goDown();
        while (t.gotoNext()) {
        }
        add_item(t, DSRTypes::RT_contains, DSRTypes::VT_Container, DSRTypes::AM_afterCurrent,
                 DSRCodedEntryValue(CODE_DCM_ImagingMeasurements), "imaging measurements");
        check(t.getCurrentContentItem().setContinuityOfContent(DSRTypes::COC_Separate),
              "imaging measurements");
    } else if (t.goDown()) {
        while (t.gotoNext()) {
        }
        mode = DSRTypes::AM_afterCurrent;
    }
    std::string observer = c.opt.observer && !c.opt.deidentify ? c.opt.observer : "";
    for (const tsc_reader_measurement &m : ms) {
        add_item(t, DSRTypes::RT_contains, DSRTypes::VT_Container, mode,
                 DSRCodedEntryValue(CODE_DCM_MeasurementGroup), "measurement group");
        check(t.getCurrentContentItem().setContinuityOfContent(DSRTypes::COC_Separate),
              "measurement group");
        mode = DSRTypes::AM_afterCurrent;
        size_t group = t.getNodeID();
        DSRTypes::E_AddMode in = DSRTypes::AM_belowCurrent;
        if (!observer.empty()) {
            add_item(t, DSRTypes::RT_hasObsContext, DSRTypes::VT_Code, in,
                     DSRCodedEntryValue(CODE_DCM_ObserverType), "observer type");
            check(t.getCurrentContentItem().setCodeValue(DSRCodedEntryValue(CODE_DCM_Person)),
                  "observer type");
            add_item(t, DSRTypes::RT_hasObsContext, DSRTypes::VT_PName, DSRTypes::AM_afterCurrent,
                     DSRCodedEntryValue(CODE_DCM_PersonObserverName), "observer name");
            check(t.getCurrentContentItem().setStringValue(observer.c_str()), "observer name");
            in = DSRTypes::AM_afterCurrent;
        }
        add_item(t, DSRTypes::RT_contains, DSRTypes::VT_Text, in,
                 DSRCodedEntryValue(CODE_DCM_TrackingIdentifier), "tracking identifier");
        check(t.getCurrentContentItem().setStringValue(
                  ("Reader measurement " + std::to_string(m.number)).c_str()),
              "tracking identifier");
        add_item(t, DSRTypes::RT_contains, DSRTypes::VT_UIDRef, DSRTypes::AM_afterCurrent,
                 DSRCodedEntryValue(CODE_DCM_TrackingUniqueIdentifier), "tracking UID");
        check(t.getCurrentContentItem().setStringValue(new_uid(SITE_INSTANCE_UID_ROOT).c_str()),
              "tracking UID");
        add_item(t, DSRTypes::RT_contains, DSRTypes::VT_SCoord, DSRTypes::AM_afterCurrent,
                 DSRCodedEntryValue(CODE_DCM_ImageRegion), "image region");
        check(t.getCurrentContentItem().setSpatialCoordinates(region(m)), "image region");
        const SourceImage &s = c.src[m.slice];
        DSRImageReferenceValue image(s.sop_class.c_str(), s.sop_instance.c_str());
        if (s.n_frames > 1) image.getFrameList().addItem(s.frame + 1);
        if (t.addContentItem(DSRTypes::RT_selectedFrom, DSRTypes::VT_Image,
                             DSRTypes::AM_belowCurrent) == 0)
            fail(TSC_EINVAL, "SR: the reader measurement's source image could not be added");
        check(t.getCurrentContentItem().setImageReference(image), "source image");
        t.goUp();
        typedef DSRCodedEntryValue Coded;
        if (m.kind == TSC_READER_RULER) {
            add_num(t, CMR_CID7469::getCodedEntry(CMR_CID7469::Length), m.length_mm,
                    CMR_CID7181::getCodedEntry(CMR_CID7181::Millimeter), nullptr, "length");
        } else {
            add_num(t, CMR_CID7469::getCodedEntry(CMR_CID7469::Area), m.area_mm2,
                    CMR_CID7181::getCodedEntry(CMR_CID7181::SquareMillimeter), nullptr, "area");
            if (m.n_pixels > 0) {
                /* TID 1419: the pixel values' quantity with its derivation. */
                bool hu = m.units && std::string(m.units) == "HU";
                Coded q =
                    hu ? Coded(CODE_DCM_AttenuationCoefficient) : Coded(CODE_DCM_MRSignalIntensity);
                Coded u = ucum(m.units);
                const struct {
                    CMR_CID7464::EnumType d;
                    double v;
                    const char *what;
                } stats[] = {{CMR_CID7464::Mean, m.mean, "mean"},
                             {CMR_CID7464::StandardDeviation, m.sd, "standard deviation"},
                             {CMR_CID7464::Minimum, m.min, "minimum"},
                             {CMR_CID7464::Maximum, m.max, "maximum"}};
                for (const auto &st : stats) {
                    if (!std::isfinite(st.v)) continue;
                    Coded d = CMR_CID7464::getCodedEntry(st.d);
                    add_num(t, q, st.v, u, &d, st.what);
                }
            }
        }
        t.gotoNode(group);
    }
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
    add_document_evaluations(report, {series_summary(c)}, edit_comments(c));

    DSRDocument doc(DSRTypes::DT_EnhancedSR);
    start_document(doc, report, c, TSC_DICOM_SR_SERIES_NUMBER,
                   "tumorscope measurements (decision support only)");
    add_reader_groups(doc, c);

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
