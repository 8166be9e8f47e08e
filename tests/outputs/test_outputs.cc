/* DICOM outputs (plugin/dicom/output_*.cc) on a synthetic DICOM series
 * analysed for real: every object passes dciodvfy without errors, the SEG
 * read back with dcmseg equals the analysis masks and references every
 * source instance, the SR carries the measurements, de-identification,
 * overwrite and input-folder rules. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <dcmtk/dcmseg/segutils.h>
#include <dcmtk/dcmsr/dsrdoc.h>
#include <dcmtk/dcmsr/dsrnumtn.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "phantom.h"
#include "tsc_dicom_outputs.h"
#include "tsc_render.h"
#include "tsc_test.h"

namespace {

struct Fixture {
    std::string study, out;
    tsc_dicom_index *ix = nullptr;
    tsc_model *model = nullptr;
    tsc_series_result *sr = nullptr;
    tsc_dicom_outputs written;
    ~Fixture()
    {
        tsc_series_result_free(sr);
        tsc_model_free(model);
        tsc_dicom_index_free(ix);
    }
};

/* Phantom series, analysed with the phantom model (or the threshold
 * method), outputs written into <tmp>/out. */
void setup(Fixture &f, bool cnn, bool deidentify, const tsc_phantom_spec *spec = nullptr,
           bool write = true)
{
    f.study = std::string(tsc_test_tmpdir()) + "/study";
    f.out = std::string(tsc_test_tmpdir()) + "/out";
    tsc_phantom_spec s = spec ? *spec : tsc_phantom_default();
    tsc_phantom_write(f.study.c_str(), &s);
    f.ix = tsc_phantom_open(f.study.c_str());
    if (cnn) f.model = tsc_phantom_model(1.0);
    f.sr = tsc_phantom_analyze(f.model, f.ix, 0, cnn ? TSC_METHOD_CNN : TSC_METHOD_THRESHOLD);
    memset(&f.written, 0, sizeof f.written);
    f.written.struct_size = sizeof f.written;
    if (!write) return;
    tsc_report_options o = tsc_report_default_options();
    o.deidentify = deidentify;
    tsc_error err;
    tsc_status st = tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err);
    if (st != TSC_OK) fprintf(stderr, "outputs: %s\n", err.message);
    REQUIRE(st == TSC_OK);
}

DcmDataset *load(DcmFileFormat &ff, const std::string &path)
{
    OFCondition c = ff.loadFile(path.c_str());
    if (c.bad()) fprintf(stderr, "%s: %s\n", path.c_str(), c.text());
    REQUIRE(c.good());
    return ff.getDataset();
}

std::string get(DcmItem *d, const DcmTagKey &tag)
{
    OFString v;
    d->findAndGetOFStringArray(tag, v);
    return v.c_str();
}

std::vector<std::string> sc_files(const Fixture &f)
{
    std::vector<std::string> v;
    for (size_t i = 1; i <= f.written.n_sc; i++) {
        char name[32];
        snprintf(name, sizeof name, "/SC%04zu.dcm", i);
        v.push_back(std::string(f.written.sc_dir) + name);
    }
    return v;
}

/* Runs dciodvfy; fails on any "Error" line and prints the warnings. */
void check_dciodvfy(const std::string &path)
{
    if (system("command -v dciodvfy >/dev/null 2>&1") != 0)
        tsc_test_skip("dciodvfy (dicom3tools) is not installed");
    std::string cmd = "dciodvfy '" + path + "' 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char line[4096];
    int errors = 0, warnings = 0;
    while (fgets(line, sizeof line, p)) {
        if (strncmp(line, "Error", 5) == 0) {
            errors++;
            fprintf(stderr, "%s", line);
        } else if (strncmp(line, "Warning", 7) == 0) {
            warnings++;
            printf("%s", line);
        }
    }
    pclose(p);
    printf("%s: %d errors, %d warnings\n", path.c_str(), errors, warnings);
    CHECK(errors == 0);
}

size_t count_tumour_slices(const Fixture &f)
{
    size_t n = 0;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        n += r && tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR && tsc_result_n_lesions(r) > 0;
    }
    return n;
}

} // namespace

TSC_TEST(outputs_seg_passes_dciodvfy)
{
    Fixture f;
    setup(f, true, false);
    REQUIRE(f.written.seg_path[0]);
    check_dciodvfy(f.written.seg_path);
}

TSC_TEST(outputs_seg_of_threshold_method_passes_dciodvfy)
{
    Fixture f;
    setup(f, false, true);
    REQUIRE(f.written.seg_path[0]);
    check_dciodvfy(f.written.seg_path);
}

TSC_TEST(outputs_sc_passes_dciodvfy)
{
    Fixture f;
    setup(f, true, false);
    REQUIRE(f.written.n_sc > 0);
    for (const auto &p : sc_files(f)) check_dciodvfy(p);
}

TSC_TEST(outputs_sr_passes_dciodvfy)
{
    Fixture f;
    setup(f, true, false);
    check_dciodvfy(f.written.sr_path);
}

TSC_TEST(outputs_deidentified_objects_pass_dciodvfy)
{
    Fixture f;
    setup(f, true, true);
    check_dciodvfy(f.written.seg_path);
    check_dciodvfy(f.written.sr_path);
    check_dciodvfy(sc_files(f).at(0));
}

/* Reads the SEG back with dcmseg and compares every frame with the mask of
 * the slice its Derivation Image references (by SOP instance and frame). */
static void check_seg_matches_masks(const Fixture &f, const char *type)
{
    DcmSegmentation *raw = nullptr;
    OFCondition c = DcmSegmentation::loadFile(f.written.seg_path, raw);
    if (c.bad()) fprintf(stderr, "dcmseg: %s\n", c.text());
    REQUIRE(c.good() && raw);
    std::unique_ptr<DcmSegmentation> seg(raw);
    CHECK(seg->getSegmentationType() == DcmSegTypes::ST_BINARY);
    CHECK(seg->getNumberOfSegments() == 1);
    DcmSegment *s1 = seg->getSegment(1);
    REQUIRE(s1);
    OFString label;
    s1->getSegmentLabel(label);
    CHECK(label == type);

    /* Which slice each (SOP instance, frame) is. */
    std::map<std::string, size_t> slice_of;
    for (size_t k = 0; k < tsc_dicom_get_series(f.ix, 0)->n_slices; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(f.ix, 0, k);
        int frame = sl->n_frames > 1 ? sl->frame + 1 : 0;
        slice_of[std::string(sl->sop_instance_uid) + "#" + std::to_string(frame)] = k;
    }
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.seg_path);
    DcmSequenceOfItems *per = nullptr;
    REQUIRE(d->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per).good());

    size_t frames = seg->getNumberOfFrames();
    CHECK(frames == count_tumour_slices(f));
    CHECK(per->card() == frames);
    int rows = tsc_dicom_get_series(f.ix, 0)->rows, cols = tsc_dicom_get_series(f.ix, 0)->cols;
    std::set<size_t> seen;
    for (size_t i = 0; i < frames && i < per->card(); i++) {
        DcmItem *fi = per->getItem((unsigned long)i), *der = nullptr, *src = nullptr;
        REQUIRE(fi->findAndGetSequenceItem(DCM_DerivationImageSequence, der, 0).good());
        REQUIRE(der->findAndGetSequenceItem(DCM_SourceImageSequence, src, 0).good());
        std::string key = get(src, DCM_ReferencedSOPInstanceUID) + "#" +
                          (get(src, DCM_ReferencedFrameNumber).empty() ? "0"
                                                                      : get(src, DCM_ReferencedFrameNumber));
        REQUIRE(slice_of.count(key));
        size_t k = slice_of[key];
        seen.insert(k);
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        REQUIRE(r && tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR);
        int mr, mc;
        const uint8_t *mask = tsc_result_get_mask(r, &mr, &mc);
        REQUIRE(mr == rows && mc == cols);
        const DcmIODTypes::Frame *packed = seg->getFrame(i);
        REQUIRE(packed);
        std::unique_ptr<DcmIODTypes::Frame> frame(
            DcmSegUtils::unpackBinaryFrame(packed, (Uint16)rows, (Uint16)cols));
        REQUIRE(frame && frame->length >= (size_t)rows * cols);
        size_t diff = 0, on = 0;
        for (size_t p = 0; p < (size_t)rows * cols; p++) {
            diff += (frame->pixData[p] != 0) != (mask[p] != 0);
            on += mask[p] != 0;
        }
        printf("frame %zu = slice %zu (%s): %zu mask pixels, %zu differ\n", i + 1, k, key.c_str(),
               on, diff);
        CHECK(on > 0);
        CHECK(diff == 0);
        /* The frame sits where the source slice is. */
        DcmItem *pp = nullptr;
        REQUIRE(fi->findAndGetSequenceItem(DCM_PlanePositionSequence, pp, 0).good());
        Float64 z = 0;
        pp->findAndGetFloat64(DCM_ImagePositionPatient, z, 2);
        CHECK_NEAR(z, tsc_dicom_get_slice(f.ix, 0, k)->position[2], 1e-3);
    }
    CHECK(seen.size() == frames);
}

TSC_TEST(outputs_seg_frames_match_the_analysis_masks)
{
    Fixture f;
    setup(f, true, false);
    check_seg_matches_masks(f, "Glioma");
}

TSC_TEST(outputs_seg_of_a_multiframe_source_references_its_frames)
{
    tsc_phantom_spec s = tsc_phantom_default();
    s.multiframe = 1;
    Fixture f;
    setup(f, false, false, &s);
    REQUIRE(tsc_dicom_get_series(f.ix, 0)->flags & TSC_DICOM_SERIES_MULTIFRAME);
    check_seg_matches_masks(f, "Tumour (threshold method)");
    /* The one source object is referenced once. */
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.seg_path);
    DcmItem *ref = nullptr;
    DcmSequenceOfItems *inst = nullptr;
    REQUIRE(d->findAndGetSequenceItem(DCM_ReferencedSeriesSequence, ref, 0).good());
    REQUIRE(ref->findAndGetSequence(DCM_ReferencedInstanceSequence, inst).good());
    CHECK(inst->card() == 1);
    check_dciodvfy(f.written.seg_path);
    check_dciodvfy(f.written.sr_path);
    check_dciodvfy(sc_files(f).at(0));
}

TSC_TEST(outputs_seg_references_every_source_instance_and_geometry)
{
    Fixture f;
    setup(f, true, false);
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.seg_path);
    const tsc_dicom_series_info *se = tsc_dicom_get_series(f.ix, 0);
    const tsc_dicom_study_info *st = tsc_dicom_get_study(f.ix, 0);
    CHECK(get(d, DCM_SOPClassUID) == UID_SegmentationStorage);
    CHECK(get(d, DCM_StudyInstanceUID) == st->study_uid);
    CHECK(get(d, DCM_SeriesInstanceUID) != se->series_uid);
    CHECK(get(d, DCM_SeriesNumber) == "9901");
    CHECK(get(d, DCM_FrameOfReferenceUID) == se->frame_of_reference_uid);
    CHECK(get(d, DCM_PatientName) == TSC_PHANTOM_PATIENT_NAME);
    DcmItem *ref = nullptr;
    REQUIRE(d->findAndGetSequenceItem(DCM_ReferencedSeriesSequence, ref, 0).good());
    CHECK(get(ref, DCM_SeriesInstanceUID) == se->series_uid);
    DcmSequenceOfItems *inst = nullptr;
    REQUIRE(ref->findAndGetSequence(DCM_ReferencedInstanceSequence, inst).good());
    std::set<std::string> uids;
    for (unsigned long i = 0; i < inst->card(); i++) {
        uids.insert(get(inst->getItem(i), DCM_ReferencedSOPInstanceUID));
        CHECK(get(inst->getItem(i), DCM_ReferencedSOPClassUID) == UID_MRImageStorage);
    }
    CHECK(uids.size() == se->n_slices);
    for (size_t k = 0; k < se->n_slices; k++)
        CHECK(uids.count(tsc_dicom_get_slice(f.ix, 0, k)->sop_instance_uid) == 1);
    /* Shared geometry from the source. */
    DcmItem *shared = nullptr, *pm = nullptr, *po = nullptr;
    REQUIRE(d->findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0).good());
    REQUIRE(shared->findAndGetSequenceItem(DCM_PixelMeasuresSequence, pm, 0).good());
    REQUIRE(shared->findAndGetSequenceItem(DCM_PlaneOrientationSequence, po, 0).good());
    Float64 dy = 0, dx = 0;
    pm->findAndGetFloat64(DCM_PixelSpacing, dy, 0);
    pm->findAndGetFloat64(DCM_PixelSpacing, dx, 1);
    CHECK_NEAR(dy, se->pixel_spacing[0], 1e-6);
    CHECK_NEAR(dx, se->pixel_spacing[1], 1e-6);
    CHECK(get(po, DCM_ImageOrientationPatient) == "1\\0\\0\\0\\1\\0");
}

TSC_TEST(outputs_sr_has_axes_and_area_per_lesion)
{
    Fixture f;
    setup(f, true, false);
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.sr_path);
    DSRDocument doc;
    REQUIRE(doc.read(*d).good());
    /* Expected values, in series order. */
    std::vector<double> want_long, want_short, want_area;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        if (!r || tsc_result_get_verdict(r) != TSC_VERDICT_TUMOR) continue;
        for (size_t j = 0; j < tsc_result_n_lesions(r); j++) {
            want_long.push_back(tsc_result_get_lesion(r, j)->diameter_mm);
            want_short.push_back(tsc_result_get_lesion(r, j)->perpendicular_mm);
            want_area.push_back(tsc_result_get_lesion(r, j)->area_mm2);
        }
    }
    std::vector<double> got_long, got_short, got_area;
    size_t segment_refs = 0;
    DSRDocumentTree &tree = doc.getTree();
    if (tree.gotoRoot() > 0) {
        do {
            const DSRContentItem &item = tree.getCurrentContentItem();
            const DSRCodedEntryValue &name = item.getConceptName();
            if (item.getValueType() == DSRTypes::VT_Num) {
                double v = atof(item.getNumericValue().getNumericValue().c_str());
                if (name.getCodeValue() == "103339001") got_long.push_back(v);
                if (name.getCodeValue() == "103340004") got_short.push_back(v);
                if (name.getCodeValue() == "42798000") got_area.push_back(v);
            }
            if (item.getValueType() == DSRTypes::VT_Image &&
                item.getImageReference().getSOPClassUID() == UID_SegmentationStorage)
                segment_refs++;
        } while (tree.iterate() > 0);
    }
    REQUIRE(!want_long.empty());
    CHECK(got_long.size() == want_long.size());
    CHECK(got_short.size() == want_short.size());
    CHECK(got_area.size() == want_area.size());
    CHECK(segment_refs == want_long.size());
    for (size_t i = 0; i < got_long.size() && i < want_long.size(); i++) {
        CHECK_NEAR(got_long[i], want_long[i], 0.006);
        CHECK_NEAR(got_short[i], want_short[i], 0.006);
        CHECK_NEAR(got_area[i], want_area[i], 0.006);
    }
    CHECK(get(d, DCM_SeriesNumber) == "9903");
    /* The evidence lists the source instances and the SEG. */
    DcmSequenceOfItems *ev = nullptr;
    REQUIRE(d->findAndGetSequence(DCM_CurrentRequestedProcedureEvidenceSequence, ev).good());
    CHECK(ev->card() >= 1);
}

TSC_TEST(outputs_sc_has_one_rgb_image_per_finding)
{
    Fixture f;
    setup(f, true, false);
    size_t findings = 0;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
        findings += r && tsc_result_get_verdict(r) != TSC_VERDICT_NO_TUMOR;
    }
    CHECK(f.written.n_sc == findings);
    std::set<std::string> series;
    for (const auto &p : sc_files(f)) {
        DcmFileFormat ff;
        DcmDataset *d = load(ff, p);
        CHECK(get(d, DCM_SOPClassUID) == UID_SecondaryCaptureImageStorage);
        CHECK(get(d, DCM_PhotometricInterpretation) == "RGB");
        CHECK(get(d, DCM_BurnedInAnnotation) == "YES");
        CHECK(get(d, DCM_SeriesNumber) == "9902");
        Uint16 cols = 0;
        d->findAndGetUint16(DCM_Columns, cols);
        CHECK(cols >= 512);
        series.insert(get(d, DCM_SeriesInstanceUID));
    }
    CHECK(series.size() == 1);
}

TSC_TEST(outputs_deidentified_use_pseudonyms_and_a_new_study)
{
    Fixture f;
    setup(f, true, true);
    std::vector<std::string> files = sc_files(f);
    files.push_back(f.written.seg_path);
    files.push_back(f.written.sr_path);
    std::set<std::string> studies, patients;
    for (const auto &p : files) {
        DcmFileFormat ff;
        DcmDataset *d = load(ff, p);
        CHECK(get(d, DCM_PatientIdentityRemoved) == "YES");
        CHECK(!get(d, DCM_DeidentificationMethod).empty());
        CHECK(get(d, DCM_PatientBirthDate).empty());
        CHECK(get(d, DCM_AccessionNumber).empty());
        CHECK(get(d, DCM_PatientName) != TSC_PHANTOM_PATIENT_NAME);
        CHECK(get(d, DCM_StudyInstanceUID) != tsc_dicom_get_study(f.ix, 0)->study_uid);
        studies.insert(get(d, DCM_StudyInstanceUID));
        patients.insert(get(d, DCM_PatientID));
        /* No identifier anywhere in the file. */
        FILE *fp = fopen(p.c_str(), "rb");
        REQUIRE(fp);
        std::string bytes;
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, fp)) > 0) bytes.append(buf, n);
        fclose(fp);
        for (const char *id : {"Doe^Jane", "Jane", TSC_PHANTOM_PATIENT_ID, TSC_PHANTOM_BIRTH_DATE,
                               TSC_PHANTOM_ACCESSION, "Phantom General Hospital"})
            if (bytes.find(id) != std::string::npos) {
                fprintf(stderr, "%s holds %s\n", p.c_str(), id);
                tsc_test_failures++;
            }
    }
    /* One pseudonymous patient and study across all objects. */
    CHECK(studies.size() == 1);
    CHECK(patients.size() == 1);
}

TSC_TEST(outputs_refuse_to_overwrite_without_force)
{
    Fixture f;
    setup(f, true, false);
    tsc_report_options o = tsc_report_default_options();
    tsc_dicom_outputs w;
    memset(&w, 0, sizeof w);
    w.struct_size = sizeof w;
    tsc_error err;
    CHECK_STATUS(tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &w, &err),
                 TSC_EEXIST);
    CHECK(strstr(err.message, "--force") != nullptr);
    o.force = 1;
    CHECK_STATUS(tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &w, &err),
                 TSC_OK);
    CHECK(w.n_sc == f.written.n_sc);
    CHECK(system(("test $(ls -A '" + f.out + "' | wc -l) -eq 3").c_str()) == 0);
}

TSC_TEST(outputs_refuse_to_write_into_the_study_folder)
{
    Fixture f;
    setup(f, false, false, nullptr, false);
    tsc_report_options o = tsc_report_default_options();
    tsc_error err;
    std::string inside = f.study + "/derived/tumorscope";
    CHECK_STATUS(tsc_write_dicom_outputs(inside.c_str(), nullptr, f.ix, 0, f.sr, &o, &f.written, &err),
                 TSC_EINVAL);
    CHECK(strstr(err.message, "input folder") != nullptr);
    struct stat st;
    CHECK(stat((f.study + "/derived").c_str(), &st) != 0); /* nothing created */
}

TSC_TEST(outputs_without_tumour_write_sc_and_sr_but_no_seg)
{
    tsc_phantom_spec s = tsc_phantom_default();
    s.lesion_first = s.lesion_last = -1;
    s.n_slices = 3;
    Fixture f;
    setup(f, true, false, &s);
    CHECK(f.written.seg_path[0] == '\0');
    CHECK(f.written.n_sc == 3); /* every analysed slice when nothing was found */
    check_dciodvfy(f.written.sr_path);
}

TSC_TEST_MAIN(TSC_CASE(outputs_seg_passes_dciodvfy),
              TSC_CASE(outputs_seg_of_threshold_method_passes_dciodvfy),
              TSC_CASE(outputs_sc_passes_dciodvfy),
              TSC_CASE(outputs_sr_passes_dciodvfy),
              TSC_CASE(outputs_deidentified_objects_pass_dciodvfy),
              TSC_CASE(outputs_seg_frames_match_the_analysis_masks),
              TSC_CASE(outputs_seg_of_a_multiframe_source_references_its_frames),
              TSC_CASE(outputs_seg_references_every_source_instance_and_geometry),
              TSC_CASE(outputs_sr_has_axes_and_area_per_lesion),
              TSC_CASE(outputs_sc_has_one_rgb_image_per_finding),
              TSC_CASE(outputs_deidentified_use_pseudonyms_and_a_new_study),
              TSC_CASE(outputs_refuse_to_overwrite_without_force),
              TSC_CASE(outputs_refuse_to_write_into_the_study_folder),
              TSC_CASE(outputs_without_tumour_write_sc_and_sr_but_no_seg))
