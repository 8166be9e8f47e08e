/* SPDX-License-Identifier: BSD-3-Clause */
/* The binary DICOM Segmentation: one segment per tumour type found, one
 * frame per slice with a tumour verdict, geometry and references from the
 * source series. */
#include "output_private.h"
#include "tsc_edit.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmiod/cielabutil.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>

#include <cmath>
#include <set>

#include "ds_private.h"

namespace tsc_out {

static CodeSequenceMacro code_macro(const Code &c)
{
    return CodeSequenceMacro(c.value, c.scheme, c.meaning);
}

void write_seg(Context &c, const std::string &path)
{
    std::vector<size_t> slices = tumour_slices(c);
    const int rows = c.se->rows, cols = c.se->cols;
    if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535)
        fail(TSC_EUNSUPPORTED, "a segmentation of " + std::to_string(cols) + "x" +
                                   std::to_string(rows) + " pixels cannot be encoded");

    /* The SEG IOD needs a Frame of Reference (DCMTK refuses to write one
     * without).  Anonymisers and some exports drop the source's: then the
     * SEG gets a new one of its own, and says so in ContentDescription and
     * in the log, because it relates to no other object. */
    std::string frame_of_reference = c.frame_of_reference;
    if (frame_of_reference.empty()) {
        frame_of_reference = new_uid(SITE_INSTANCE_UID_ROOT);
        c.new_frame_of_reference = true;
        tsc_log(TSC_LOG_WARNING, "dicom-outputs",
                "series %zu has no Frame of Reference UID: the segmentation states a new one; "
                "its plane positions are those of the source images",
                c.series);
    }
    IODGeneralEquipmentModule::EquipmentInfo eq("tumorscope", "tumorscope", "1", c.software.c_str());
    /* "tumorscope^": a one-component PN without the caret reads as the
     * retired free-text form to validators.  ContentDescription is LO: 64
     * characters at most. */
    std::string creator = editor_pn(c);
    ContentIdentificationMacro ci(
        "1", "TUMOUR",
        c.new_frame_of_reference           ? "Brain tumour segmentation; new Frame of Reference UID"
        : tsc_series_result_is_edited(c.r) ? "Brain tumour segmentation, edited by the reader"
                                           : "Brain tumour segmentation, decision support only",
        creator.empty() ? "tumorscope^" : creator.c_str());
    DcmSegmentation *raw = nullptr;
    check(DcmSegmentation::createBinarySegmentation(raw, (Uint16)rows, (Uint16)cols, eq, ci),
          "creating the segmentation");
    std::unique_ptr<DcmSegmentation> seg(raw);

    /* Identity first: the references below are sorted by study UID. */
    seg->getPatient().setPatientName(c.patient_name.c_str(), OFFalse);
    seg->getPatient().setPatientID(c.patient_id.c_str(), OFFalse);
    seg->getPatient().setPatientBirthDate(c.birth_date.c_str(), OFFalse);
    seg->getPatient().setPatientSex(c.sex.c_str(), OFFalse);
    seg->getStudy().setStudyInstanceUID(c.study_uid.c_str(), OFFalse);
    seg->getStudy().setStudyDate(c.study_date.c_str(), OFFalse);
    seg->getStudy().setStudyTime(c.study_time.c_str(), OFFalse);
    seg->getStudy().setStudyID(c.study_id.c_str(), OFFalse);
    seg->getStudy().setAccessionNumber(c.accession.c_str(), OFFalse);
    c.seg_series_uid = new_uid(SITE_SERIES_UID_ROOT);
    c.seg_sop_uid = new_uid(SITE_INSTANCE_UID_ROOT);
    check(seg->getSeries().setSeriesInstanceUID(c.seg_series_uid.c_str()), "series UID");
    check(seg->getSeries().setSeriesNumber(std::to_string(TSC_DICOM_SEG_SERIES_NUMBER).c_str()),
          "series number");
    check(seg->getSeries().setSeriesDescription("tumorscope tumour segmentation (decision support)"),
          "series description");
    check(seg->getSOPCommon().setSOPInstanceUID(c.seg_sop_uid.c_str()), "SOP instance UID");
    check(seg->getFrameOfReference().setFrameOfReferenceUID(frame_of_reference.c_str()),
          "Frame of Reference UID (0020,0052)");
    /* Plane positions when every slice has a position and an orientation;
     * stack positions otherwise. */
    bool geometry = true;
    for (size_t k = 0; k < c.se->n_slices; k++)
        geometry &= tsc_dicom_get_slice(c.index, c.series, k)->has_geometry != 0;

    /* Segments: one per type, in order of first appearance. */
    std::string algo = "tumorscope " TSC_VERSION;
    if (c.model) algo += std::string(" ") + tsc_model_get_name(c.model) + " " + tsc_model_get_version(c.model);
    else if (!slices.empty())
        algo += std::string(" ") +
                tsc_method_to_string(tsc_result_get_method(tsc_series_result_get_slice(c.r, slices[0]))) +
                " method";
    /* The reader's brush, eraser or rejections make the mask the
     * algorithm's and the reader's together: SEMIAUTOMATIC (PS3.3
     * C.8.20.4).  Accepting lesions leaves it the algorithm's. */
    bool edited = false;
    for (size_t k = 0; k < tsc_series_result_n_slices(c.r); k++)
        edited |= tsc_series_result_get_slice_edits(c.r, k) != 0;
    for (size_t k : slices) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        size_t label = tsc_result_get_label(r);
        if (c.segment_of_label.count(label)) continue;
        std::string name = class_display(c, r, label);
        Code type = class_code(c, r, label);
        DcmSegment *s = nullptr;
        check(
            DcmSegment::create(s, name.c_str(), code_macro(CODE_MORPH_ABNORMAL), code_macro(type),
                               edited ? DcmSegTypes::SAT_SEMIAUTOMATIC : DcmSegTypes::SAT_AUTOMATIC,
                               algo.c_str()),
            "creating segment " + name);
        s->setSegmentDescription((name + " (decision support only)").c_str(), OFFalse);
        uint32_t rgb = class_color(c, r, label);
        double L, a, b;
        IODCIELabUtil::rgb2DicomLab(L, a, b, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                                    (rgb & 255) / 255.0);
        s->setRecommendedDisplayCIELabValue((Uint16)lround(L), (Uint16)lround(a), (Uint16)lround(b));
        Uint16 number = 0;
        OFCondition cond = seg->addSegment(s, number);
        if (cond.bad()) {
            delete s;
            check(cond, "adding segment " + name);
        }
        c.segment_of_label[label] = number;
    }

    /* Shared geometry of the source series. */
    FGPixelMeasures pm;
    /* Without a valid PixelSpacing in the source, the decoder and every
     * measurement assume 1 mm per pixel; the SEG states the same (0\0 would
     * make it invalid). */
    const double spacing[2] = {c.se->pixel_spacing[0] > 0 ? c.se->pixel_spacing[0] : 1.0,
                               c.se->pixel_spacing[1] > 0 ? c.se->pixel_spacing[1] : 1.0};
    check(pm.setPixelSpacing(tsc__ds_list(spacing, 2).c_str()), "pixel spacing");
    double thickness = c.se->slice_thickness > 0 ? c.se->slice_thickness
                       : c.se->slice_spacing > 0 ? c.se->slice_spacing : 1.0;
    check(pm.setSliceThickness(tsc__ds(thickness).c_str()), "slice thickness");
    if (c.se->slice_spacing > 0) pm.setSpacingBetweenSlices(tsc__ds(c.se->slice_spacing).c_str());
    check(seg->addForAllFrames(pm), "pixel measures");
    if (geometry) {
        const double *o = c.se->orientation;
        FGPlaneOrientationPatient po;
        check(po.setImageOrientationPatient(tsc__ds(o[0]).c_str(), tsc__ds(o[1]).c_str(),
                                            tsc__ds(o[2]).c_str(), tsc__ds(o[3]).c_str(),
                                            tsc__ds(o[4]).c_str(), tsc__ds(o[5]).c_str()),
              "image orientation");
        check(seg->addForAllFrames(po), "plane orientation");
    }

    /* Frames are indexed by segment, then by position along the normal. */
    std::string dim_uid = new_uid(SITE_INSTANCE_UID_ROOT);
    IODMultiframeDimensionModule &dims = seg->getDimensions();
    check(dims.addDimensionIndex(DCM_ReferencedSegmentNumber, dim_uid.c_str(),
                                 DCM_SegmentIdentificationSequence, "Segment"),
          "segment dimension");
    if (geometry)
        check(dims.addDimensionIndex(DCM_ImagePositionPatient, dim_uid.c_str(),
                                     DCM_PlanePositionSequence, "Position"),
              "position dimension");
    else
        check(dims.addDimensionIndex(DCM_InStackPositionNumber, dim_uid.c_str(),
                                     DCM_FrameContentSequence, "Position"),
              "position dimension");

    Uint32 frame_no = 0, rank = 0;
    std::vector<int> source_frame; /* per SEG frame: 1-based source frame, 0 = single-frame */
    for (size_t k : slices) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        int mr = 0, mc = 0;
        const uint8_t *mask = tsc_result_get_mask(r, &mr, &mc);
        if (mr != rows || mc != cols)
            fail(TSC_EINVAL, "slice " + std::to_string(k) + " has a " + std::to_string(mc) + "x" +
                                 std::to_string(mr) + " mask but the series is " +
                                 std::to_string(cols) + "x" + std::to_string(rows));
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(c.index, c.series, k);
        Uint16 segment = (Uint16)c.segment_of_label[tsc_result_get_label(r)];
        rank++;

        OFVector<FGBase *> per_frame;
        FGPlanePosPatient pp;
        if (geometry) {
            check(pp.setImagePositionPatient(tsc__ds(sl->position[0]).c_str(),
                                             tsc__ds(sl->position[1]).c_str(),
                                             tsc__ds(sl->position[2]).c_str()),
                  "image position of slice " + std::to_string(k));
            per_frame.push_back(&pp);
        }
        FGFrameContent fc;
        check(fc.setDimensionIndexValues(segment, 0), "dimension index");
        check(fc.setDimensionIndexValues(rank, 1), "dimension index");
        if (!geometry) {
            fc.setStackID("1");
            fc.setInStackPositionNumber(rank);
        }
        per_frame.push_back(&fc);

        const SourceImage &s = c.src[k];
        OFVector<ImageSOPInstanceReferenceMacro> refs(1);
        check(refs[0].setReferencedSOPClassUID(s.sop_class.c_str()), "source reference");
        check(refs[0].setReferencedSOPInstanceUID(s.sop_instance.c_str()), "source reference");
        /* The frame number of a multi-frame source is patched in after
         * writing: DCMTK 3.6.7's setReferencedFrameNumber() cannot put
         * numbers into the IS element ("Illegal call"). */
        source_frame.push_back(s.n_frames > 1 ? s.frame + 1 : 0);
        std::unique_ptr<FGDerivationImage> deriv(DcmSegmentation::createDerivationImageFG(
            refs, "Tumour segmentation by tumorscope (decision support only)"));
        if (!deriv) fail(TSC_EINTERNAL, "creating the derivation image group failed");
        per_frame.push_back(deriv.get());

        std::vector<Uint8> data(mask, mask + (size_t)rows * cols);
        check(seg->addFrame(data.data(), segment, per_frame), "adding the frame of slice " + std::to_string(k));
        c.frame_of_slice[k] = ++frame_no;
    }

    /* Every source instance of the series, also those without a frame. */
    IODReferences refs;
    std::set<std::string> seen;
    for (const SourceImage &s : c.src) {
        if (!seen.insert(s.sop_instance).second) continue; /* frames of one object */
        IODImageReference *ref =
            new IODImageReference("", c.source_study_uid.c_str(), c.source_series_uid.c_str(),
                                  s.sop_instance.c_str(), s.sop_class.c_str());
        if (!refs.add(ref)) { /* add() owns it only on success */
            delete ref;
            fail(TSC_EFORMAT, "source instance " + s.sop_instance + " has invalid UIDs");
        }
    }
    seg->getCommonInstanceReference().addReferences(refs, c.study_uid.c_str());

    DcmFileFormat ff;
    check(seg->writeDataset(*ff.getDataset()), "writing the segmentation");
    /* The macro checks the creator's name as ASCII and writes one outside
     * it (an editor "Zoë") empty: it goes in as it is, under the ISO_IR 192
     * apply_identity declares for it. */
    if (!creator.empty())
        check(ff.getDataset()->putAndInsertString(DCM_ContentCreatorName, creator.c_str()),
              "the content creator's name");
    DcmSequenceOfItems *per = nullptr;
    if (ff.getDataset()->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per).good())
        for (unsigned long i = 0; i < per->card() && i < source_frame.size(); i++) {
            DcmItem *der = nullptr, *src = nullptr;
            if (!source_frame[i]) continue;
            if (per->getItem(i)->findAndGetSequenceItem(DCM_DerivationImageSequence, der, 0).good() &&
                der->findAndGetSequenceItem(DCM_SourceImageSequence, src, 0).good())
                check(src->putAndInsertString(DCM_ReferencedFrameNumber,
                                              std::to_string(source_frame[i]).c_str()),
                      "source frame number");
        }
    apply_identity(*ff.getDataset(), c);
    save_atomic(ff, path, c);
}

} // namespace tsc_out
