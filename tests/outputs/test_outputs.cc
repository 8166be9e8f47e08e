/* SPDX-License-Identifier: BSD-3-Clause */
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

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "output_private.h"
#include "phantom.h"
#include "render_private.h"
#include "tsc_deid.h"
#include "tsc_dicom_outputs.h"
#include "tsc_dicom_tags.h"
#include "tsc_edit.h"
#include "tsc_render.h"
#include "tsc_test.h"
#include "tsc_test_png.h"

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

/* The DICOM outputs written with `o`; their SR, valid to dciodvfy, read
 * into doc. */
void write_outputs_and_read_sr(Fixture &f, const tsc_report_options &o, DSRDocument &doc)
{
    tsc_error err;
    REQUIRE(tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err) ==
            TSC_OK);
    check_dciodvfy(f.written.sr_path);
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.sr_path);
    REQUIRE(doc.read(*d).good());
}

/* A reader measurement of `kind` numbered `number` (0: unnumbered) on
 * `slice`, through n_points (x, y) points; no values yet. */
tsc_reader_measurement reader_measurement(tsc_reader_measurement_kind kind, int number,
                                          size_t slice, const double *xy, size_t n_points)
{
    tsc_reader_measurement m{};
    m.struct_size = sizeof m;
    m.kind = kind;
    m.number = number;
    m.slice = slice;
    m.points = xy;
    m.n_points = n_points;
    return m;
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
    check_seg_matches_masks(f, "Tumour (threshold method, for comparison only)");
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

static std::string file_bytes(const std::string &path)
{
    FILE *fp = fopen(path.c_str(), "rb");
    if (!fp) fprintf(stderr, "cannot read %s\n", path.c_str());
    REQUIRE(fp);
    std::string bytes;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) bytes.append(buf, n);
    fclose(fp);
    return bytes;
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
        std::string bytes = file_bytes(p);
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

/* The Encapsulated PDF next to the other outputs: same patient and study,
 * the PDF report inside, refused again without force. */
static void check_pdf(bool deidentify)
{
    Fixture f;
    setup(f, true, deidentify);
    tsc_report_options o = tsc_report_default_options();
    o.deidentify = deidentify;
    tsc_error err;
    std::string pdf = f.out + "/PDF.dcm";
    tsc_status st = tsc_write_dicom_pdf(pdf.c_str(), f.model, f.ix, 0, f.sr, &o, &err);
    if (st != TSC_OK) fprintf(stderr, "pdf: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    check_dciodvfy(pdf);
    DcmFileFormat ff, sr;
    DcmDataset *d = load(ff, pdf), *r = load(sr, f.written.sr_path);
    CHECK(get(d, DCM_SOPClassUID) == UID_EncapsulatedPDFStorage);
    CHECK(get(d, DCM_Modality) == "DOC");
    CHECK(get(d, DCM_MIMETypeOfEncapsulatedDocument) == "application/pdf");
    CHECK(get(d, DCM_PatientID) == get(r, DCM_PatientID));
    CHECK(get(d, DCM_PatientName) == get(r, DCM_PatientName));
    CHECK(get(d, DCM_StudyInstanceUID) == get(r, DCM_StudyInstanceUID));
    CHECK(get(d, DCM_SeriesInstanceUID) != get(r, DCM_SeriesInstanceUID));
    CHECK(get(d, DCM_SeriesInstanceUID) != tsc_dicom_get_series(f.ix, 0)->series_uid);
    if (deidentify) CHECK(get(d, DCM_PatientIdentityRemoved) == "YES");
    else CHECK(get(d, DCM_StudyInstanceUID) == tsc_dicom_get_study(f.ix, 0)->study_uid);
    const Uint8 *doc = nullptr;
    unsigned long n = 0;
    CHECK(d->findAndGetUint8Array(DCM_EncapsulatedDocument, doc, &n).good());
    CHECK(doc && n > 5 && memcmp(doc, "%PDF-", 5) == 0);
    DcmSequenceOfItems *seq = nullptr;
    CHECK(d->findAndGetSequence(DCM_SourceInstanceSequence, seq).good() && seq && seq->card() > 0);
    CHECK_STATUS(tsc_write_dicom_pdf(pdf.c_str(), f.model, f.ix, 0, f.sr, &o, &err), TSC_EEXIST);
    o.force = 1;
    CHECK_STATUS(tsc_write_dicom_pdf(pdf.c_str(), f.model, f.ix, 0, f.sr, &o, &err), TSC_OK);
}

TSC_TEST(outputs_pdf_passes_dciodvfy_in_the_source_study)
{
    check_pdf(false);
}

TSC_TEST(outputs_deidentified_pdf_passes_dciodvfy_with_the_same_pseudonyms)
{
    check_pdf(true);
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

/* Without a lesion group the reader's groups get their own Imaging
 * Measurements container; a freehand ROI is a closed POLYLINE, and the CT
 * unit HU becomes Attenuation Coefficient in [hnsf'U]. */
TSC_TEST(outputs_reader_measurements_without_a_lesion_pass_dciodvfy)
{
    tsc_phantom_spec s = tsc_phantom_default();
    s.lesion_first = s.lesion_last = -1;
    s.n_slices = 3;
    Fixture f;
    setup(f, true, false, &s, false);
    const double xy[8] = {10, 10, 40, 12, 30, 35, 12, 30};
    tsc_reader_measurement m = reader_measurement(TSC_READER_FREEHAND, 0, 1, xy, 4);
    m.area_mm2 = 600;
    m.n_pixels = 600;
    m.mean = -12.5, m.sd = 3, m.min = -20, m.max = 5;
    m.units = "HU";
    const tsc_reader_measurement *ms[1] = {&m};
    tsc_report_options o = tsc_report_default_options();
    o.measurements = ms;
    o.n_measurements = 1;
    o.observer = "Reader^Test";
    DSRDocument doc;
    write_outputs_and_read_sr(f, o, doc);
    DSRDocumentTree &tree = doc.getTree();
    size_t containers = 0, closed = 0, hu = 0;
    REQUIRE(tree.gotoRoot() > 0);
    do {
        const DSRContentItem &item = tree.getCurrentContentItem();
        std::string code = item.getConceptName().getCodeValue().c_str();
        if (code == "126010") containers++;
        if (item.getValueType() == DSRTypes::VT_SCoord) {
            DSRSpatialCoordinatesValue sc(item.getSpatialCoordinates());
            DSRGraphicDataList &g = sc.getGraphicDataList();
            Float32 x0 = 0, y0 = 0, x1 = 0, y1 = 0;
            g.getItem(1, x0, y0);
            g.getItem(g.getNumberOfItems(), x1, y1);
            closed += sc.getGraphicType() == DSRTypes::GT_Polyline && g.getNumberOfItems() == 5 &&
                      x0 == x1 && y0 == y1;
        }
        if (code == "112031" &&
            item.getNumericValue().getMeasurementUnit().getCodeValue() == "[hnsf'U]")
            hu++;
    } while (tree.iterate() > 0);
    CHECK(containers == 1);
    CHECK(closed == 1);
    CHECK(hu == 4);
}

/* ---- sources that lack attributes, and what errors say ------------------ */

/* Every DICOM file of a folder (the phantom's IM*.dcm). */
static std::vector<std::string> dicom_files(const std::string &dir)
{
    std::vector<std::string> v;
    DIR *d = opendir(dir.c_str());
    REQUIRE(d);
    while (dirent *e = readdir(d))
        if (strstr(e->d_name, ".dcm")) v.push_back(dir + "/" + e->d_name);
    closedir(d);
    std::sort(v.begin(), v.end());
    REQUIRE(!v.empty());
    return v;
}

/* Loads, edits and saves every file of the source series in place. */
template <class Fn> static void edit_sources(const std::string &dir, Fn fn)
{
    size_t k = 0;
    for (const std::string &p : dicom_files(dir)) {
        DcmFileFormat ff;
        REQUIRE(ff.loadFile(p.c_str()).good());
        REQUIRE(ff.loadAllDataIntoMemory().good()); /* saved over itself below */
        fn(*ff.getDataset(), k++);
        /* The meta header follows the edited SOP Instance UID. */
        OFCondition c = ff.saveFile(p.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength,
                                    EGL_recalcGL, EPD_noChange, 0, 0, EWM_updateMeta);
        if (c.bad()) fprintf(stderr, "%s: %s\n", p.c_str(), c.text());
        REQUIRE(c.good());
    }
}

/* Phantom series analysed with the phantom model, its files edited by `fn`
 * before it is opened; no outputs written yet. */
template <class Fn> static void setup_edited(Fixture &f, Fn fn)
{
    f.study = std::string(tsc_test_tmpdir()) + "/study";
    f.out = std::string(tsc_test_tmpdir()) + "/out";
    tsc_phantom_spec s = tsc_phantom_default();
    tsc_phantom_write(f.study.c_str(), &s);
    edit_sources(f.study, fn);
    f.ix = tsc_phantom_open(f.study.c_str());
    f.model = tsc_phantom_model(1.0);
    f.sr = tsc_phantom_analyze(f.model, f.ix, 0, TSC_METHOD_CNN);
    memset(&f.written, 0, sizeof f.written);
    f.written.struct_size = sizeof f.written;
}

static std::vector<std::string> warnings;
static void keep_warning(tsc_log_level level, const char *, const char *message, void *)
{
    if (level >= TSC_LOG_WARNING) warnings.push_back(message);
}

TSC_TEST(outputs_source_without_frame_of_reference_gets_a_stated_new_one)
{
    Fixture f;
    setup_edited(f, [](DcmDataset &d, size_t) { d.findAndDeleteElement(DCM_FrameOfReferenceUID); });
    REQUIRE(tsc_dicom_get_series(f.ix, 0)->frame_of_reference_uid[0] == '\0');
    REQUIRE(count_tumour_slices(f) > 0);
    tsc_report_options o = tsc_report_default_options();
    tsc_error err;
    warnings.clear();
    tsc_log_set(keep_warning, nullptr);
    tsc_status st = tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err);
    tsc_log_set(nullptr, nullptr);
    if (st != TSC_OK) fprintf(stderr, "outputs: %s\n", err.message);
    REQUIRE(st == TSC_OK);
    /* SEG, SR and SC all written. */
    REQUIRE(f.written.seg_path[0]);
    CHECK(f.written.n_sc > 0);
    CHECK(access(f.written.sr_path, R_OK) == 0);
    DcmFileFormat ff;
    DcmDataset *d = load(ff, f.written.seg_path);
    std::string for_uid = get(d, DCM_FrameOfReferenceUID);
    CHECK(for_uid.compare(0, 5, "2.25.") == 0);
    /* Stated in the object and in the log (which names no patient). */
    CHECK(get(d, DCM_ContentDescription).find("new Frame of Reference") != std::string::npos);
    bool logged = false;
    for (const auto &w : warnings) {
        printf("warning: %s\n", w.c_str());
        logged |= w.find("Frame of Reference") != std::string::npos;
        CHECK(w.find("Jane") == std::string::npos);
    }
    CHECK(logged);
    check_dciodvfy(f.written.seg_path);
    check_dciodvfy(f.written.sr_path);
    check_dciodvfy(sc_files(f).at(0));
    /* The SEG still says where each frame lies. */
    DcmItem *fg = nullptr, *pp = nullptr;
    REQUIRE(d->findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, fg, 0).good());
    CHECK(fg->findAndGetSequenceItem(DCM_PlanePositionSequence, pp, 0).good());
}

/* DCMTK answers a missing type 1 attribute with "Missing Attribute(s)" and
 * names it only in its log: our errors repeat the name. */
TSC_TEST(outputs_dicom_errors_name_the_missing_attribute)
{
    IODFoRModule frame_of_reference; /* its UID never set */
    DcmItem item;
    std::string message;
    {
        tsc_out::DcmtkLog log;
        try {
            tsc_out::check(frame_of_reference.write(item), "writing the frame of reference");
        } catch (const tsc_out::Error &e) {
            message = e.message;
        }
    }
    printf("error: %s\n", message.c_str());
    CHECK(message.find("Missing Attribute") != std::string::npos);
    CHECK(message.find("FrameOfReferenceUID") != std::string::npos ||
          message.find("Frame of Reference UID") != std::string::npos);
}

/* ---- de-identification --------------------------------------------------- */

/* Identifiers planted in every attribute the profile covers; each distinct
 * enough that finding it in any output byte means it leaked. */
static const struct {
    DcmTagKey tag;
    const char *value;
} PLANTED[] = {
    {DCM_PatientName, "PLANTEDSURNAME7Q^PLANTEDGIVEN7Q"},
    {DCM_PatientID, "PLANTED_PID_7Q"},
    {DCM_OtherPatientNames, "PLANTED^OTHERNAME_7Q"},
    {DCM_PatientAddress, "PLANTED_PATIENT_ADDRESS_7Q"},
    {DCM_StudyDescription, "PLANTED_STUDYDESC_7Q Rorden^Rorden_Prisma"},
    {DCM_SeriesDescription, "PLANTED_SERIESDESC_7Q"},
    {DCM_ProtocolName, "PLANTED_PROTOCOL_7Q"},
    {DCM_InstitutionName, "PLANTED_INSTITUTION_7Q"},
    {DCM_InstitutionAddress, "PLANTED_INSTITUTION_ADDRESS_7Q"},
    {DCM_InstitutionalDepartmentName, "PLANTED_DEPARTMENT_7Q"},
    {DCM_ReferringPhysicianName, "PLANTED^REFERRER_7Q"},
    {DCM_PerformingPhysicianName, "PLANTED^PERFORMER_7Q"},
    {DCM_OperatorsName, "PLANTED^OPERATOR_7Q"},
    {DCM_PhysiciansOfRecord, "PLANTED^RECORD_7Q"},
    {DCM_NameOfPhysiciansReadingStudy, "PLANTED^READER_7Q"},
    {DCM_StationName, "PLANTED_STATION7Q"},
    {DCM_DeviceSerialNumber, "PLANTED_SERIAL_7Q"},
    {DCM_AccessionNumber, "PLANTED_ACC_7Q"},
    {DCM_StudyID, "PLANTED_SID_7Q"},
};
/* Dates and times (as stored); the reports print dates as YYYY-MM-DD. */
static const struct {
    DcmTagKey tag;
    const char *value, *printed;
} PLANTED_TIMES[] = {
    {DCM_PatientBirthDate, "19330517", "1933-05-17"},
    {DCM_StudyDate, "20190723", "2019-07-23"},
    {DCM_SeriesDate, "20190724", "2019-07-24"},
    {DCM_AcquisitionDate, "20190725", "2019-07-25"},
    {DCM_ContentDate, "20190726", "2019-07-26"},
    {DCM_InstanceCreationDate, "20190727", "2019-07-27"},
    {DCM_StudyTime, "134702.123456", "13:47"},
    {DCM_SeriesTime, "135311.654321", "13:53"},
    {DCM_AcquisitionTime, "135412.111111", "13:54"},
    {DCM_ContentTime, "135513.222222", "13:55"},
};
/* Every source UID starts with this root. */
#define PLANTED_UID_ROOT "1.3.6.1.4.1.99999.7"

static void plant(DcmDataset &d, size_t k)
{
    for (const auto &p : PLANTED) REQUIRE(d.putAndInsertString(p.tag, p.value).good());
    for (const auto &p : PLANTED_TIMES) REQUIRE(d.putAndInsertString(p.tag, p.value).good());
    d.putAndInsertString(DCM_StudyInstanceUID, PLANTED_UID_ROOT ".1");
    d.putAndInsertString(DCM_SeriesInstanceUID, PLANTED_UID_ROOT ".2");
    d.putAndInsertString(DCM_FrameOfReferenceUID, PLANTED_UID_ROOT ".3");
    d.putAndInsertString(DCM_SOPInstanceUID, (PLANTED_UID_ROOT ".100." + std::to_string(k + 1)).c_str());
    /* A private block, too. */
    d.putAndInsertString(DcmTag(0x0009, 0x0010, EVR_LO), "PLANTED_PRIVATE_CREATOR_7Q");
    d.putAndInsertString(DcmTag(0x0009, 0x1001, EVR_LO), "PLANTED_PRIVATE_VALUE_7Q");
}

/* Every planted value that `bytes` holds, as stored or as printed (and as
 * UTF-16 hex, the way cairo writes PDF metadata). */
static std::vector<std::string> leaks(const std::string &bytes)
{
    std::vector<std::string> needles = {"PLANTED", "Rorden", PLANTED_UID_ROOT};
    for (const auto &p : PLANTED_TIMES) {
        std::string v = p.value;
        needles.push_back(v.size() == 8 ? v : v.substr(0, 6));
        if (v.size() == 8) needles.push_back(p.printed);
    }
    std::vector<std::string> found;
    for (const std::string &n : needles) {
        std::string hex;
        for (char ch : n) {
            char h[8];
            snprintf(h, sizeof h, "00%02X", (unsigned char)ch);
            hex += h;
        }
        if (bytes.find(n) != std::string::npos || bytes.find(hex) != std::string::npos)
            found.push_back(n);
    }
    return found;
}

static void check_no_leak(const std::string &what, const std::string &bytes)
{
    for (const std::string &l : leaks(bytes)) {
        fprintf(stderr, "%s holds %s\n", what.c_str(), l.c_str());
        tsc_test_failures++;
    }
}

/* Everything the renderer draws, for reports whose bytes are compressed. */
static std::string drawn;
static void keep_text(const char *utf8, double, void *)
{
    /* The footer's generation time is today's, shifted: by chance it may
     * read like a planted time of day, so only its date is kept. */
    if (strncmp(utf8, "Generated by", 12) == 0) {
        drawn += std::string(utf8).substr(0, 40) + "\n";
        return;
    }
    drawn += utf8;
    drawn += "\n";
}

TSC_TEST(outputs_deidentified_hold_no_planted_identifier)
{
    Fixture f;
    setup_edited(f, plant);
    REQUIRE(count_tumour_slices(f) > 0);
    const tsc_dicom_study_info *st = tsc_dicom_get_study(f.ix, 0);
    REQUIRE(std::string(st->institution) == "PLANTED_INSTITUTION_7Q");
    tsc_report_options o = tsc_report_default_options();
    o.deidentify = 1;
    o.timestamp = "2024-03-01 10:15";
    tsc_error err;
    REQUIRE(mkdir(f.out.c_str(), 0755) == 0);

    /* Reports and DICOM outputs in this process, with every drawn string kept. */
    drawn.clear();
    tsc__set_text_sink(keep_text, nullptr);
    std::vector<std::string> files = {f.out + "/slice.png", f.out + "/series.png", f.out + "/report.pdf"};
    size_t k = (size_t)-1;
    for (size_t i = 0; i < tsc_series_result_n_slices(f.sr) && k == (size_t)-1; i++) {
        const tsc_result *r = tsc_series_result_get_slice(f.sr, i);
        if (r && tsc_result_get_verdict(r) == TSC_VERDICT_TUMOR) k = i;
    }
    REQUIRE(k != (size_t)-1);
    CHECK_STATUS(tsc_report_slice_png(files[0].c_str(), f.model, f.ix, 0, k,
                                      tsc_series_result_get_slice(f.sr, k), &o, &err), TSC_OK);
    CHECK_STATUS(tsc_report_series_png(files[1].c_str(), f.model, f.ix, 0, f.sr, &o, &err), TSC_OK);
    CHECK_STATUS(tsc_report_pdf(files[2].c_str(), f.model, f.ix, 0, f.sr, &o, &err), TSC_OK);
    tsc_status wst = tsc_write_dicom_outputs((f.out + "/dicom").c_str(), f.model, f.ix, 0, f.sr, &o,
                                             &f.written, &err);
    tsc__set_text_sink(nullptr, nullptr);
    if (wst != TSC_OK) fprintf(stderr, "outputs: %s\n", err.message);
    REQUIRE(wst == TSC_OK);
    REQUIRE(f.written.seg_path[0]);
    CHECK(drawn.find("De-identified report") != std::string::npos);
    CHECK(drawn.find("MR study") != std::string::npos);
    check_no_leak("the drawn text", drawn);
    for (const auto &p : sc_files(f)) files.push_back(p);
    files.push_back(f.written.seg_path);
    files.push_back(f.written.sr_path);
    for (const auto &p : files) check_no_leak(p, file_bytes(p));

    /* The DICOM objects: valid, and saying what was done. */
    for (size_t i = 3; i < files.size(); i++) {
        DcmFileFormat ff;
        DcmDataset *d = load(ff, files[i]);
        CHECK(get(d, DCM_PatientIdentityRemoved) == "YES");
        CHECK(get(d, DCM_LongitudinalTemporalInformationModified) == "MODIFIED");
        DcmItem *m = nullptr;
        CHECK(d->findAndGetSequenceItem(DCM_DeidentificationMethodCodeSequence, m, 0).good() &&
              get(m, DCM_CodeValue) == "113100");
        CHECK(!get(d, DCM_StudyDate).empty());
        check_dciodvfy(files[i]);
    }

    /* The CLI on the same series: its JSON, reports and DICOM outputs. */
    std::string bin = tsc_test_program("tumorscope");
    std::string cli_out = f.out + "/cli", log = f.out + "/cli.log";
    std::string cmd = "'" + bin + "' analyze '" + f.study + "' --method threshold --deidentify --png --pdf "
                      "--dicom --json '" + f.out + "/result.json' --out '" + cli_out + "' >'" + log +
                      "' 2>&1";
    int rc = system(cmd.c_str());
    printf("%s: exit %d\n%s", cmd.c_str(), WEXITSTATUS(rc), file_bytes(log).c_str());
    CHECK(WEXITSTATUS(rc) == 0);
    std::string json = file_bytes(f.out + "/result.json");
    check_no_leak("result.json", json);
    check_no_leak("the CLI's messages", file_bytes(log));
    CHECK(json.find("\"series_uid\":\tnull") != std::string::npos);
    size_t at = json.find("\"series_uid\"");
    if (at != std::string::npos) printf("result.json: ...%s...\n", json.substr(at, 120).c_str());
    size_t n_cli = 0;
    std::vector<std::string> dirs = {cli_out, cli_out + "/series000_dicom", cli_out + "/series000_dicom/SC"};
    for (const auto &dir : dirs) {
        DIR *d = opendir(dir.c_str());
        REQUIRE(d);
        while (dirent *e = readdir(d)) {
            std::string p = dir + "/" + e->d_name;
            struct stat sb;
            if (e->d_name[0] == '.' || stat(p.c_str(), &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
            check_no_leak(p, file_bytes(p));
            n_cli++;
        }
        closedir(d);
    }
    printf("%zu CLI output files checked\n", n_cli);
    CHECK(n_cli >= 6);
    /* --pdf with --dicom: the report also as an Encapsulated PDF object. */
    std::string pdf = cli_out + "/series000_dicom/PDF.dcm";
    DcmFileFormat fpdf;
    DcmDataset *dpdf = load(fpdf, pdf.c_str());
    CHECK(get(dpdf, DCM_SOPClassUID) == UID_EncapsulatedPDFStorage);
    check_dciodvfy(pdf.c_str());
}

/* Our SR opened again with the study it belongs to is listed as a stored
 * report of that series, with what made it, when, and the series finding in
 * the words the analysis used; it is not taken for an image or skipped. */
/* The tag browser's list of a planted header: without de-identification the
 * header as stored; with it, the same pseudonyms, shifted dates and
 * remapped UIDs as the outputs, every other identifying value hidden. */
static const tsc_dicom_tag *find_tag(const tsc_dicom_tag_list *l, uint16_t g, uint16_t e)
{
    for (size_t i = 0; i < tsc_dicom_tag_list_count(l); i++) {
        const tsc_dicom_tag *t = tsc_dicom_tag_list_get(l, i);
        if (t->group == g && t->element == e && t->depth == 0) return t;
    }
    return nullptr;
}

TSC_TEST(tag_browser_deidentified_lists_no_planted_identifier)
{
    Fixture f;
    setup_edited(f, plant);
    tsc_error err;
    tsc_dicom_tag_list *plain = nullptr, *deid = nullptr;
    REQUIRE(tsc_dicom_slice_tags(f.ix, 0, 3, 0, &plain, &err) == TSC_OK);
    REQUIRE(tsc_dicom_slice_tags(f.ix, 0, 3, TSC_DICOM_TAGS_DEIDENTIFY, &deid, &err) == TSC_OK);

    /* As stored: the planted name, the meta header first, pixel data not shown. */
    const tsc_dicom_tag *name = find_tag(plain, 0x0010, 0x0010);
    REQUIRE(name);
    CHECK(std::string(name->keyword) == "PatientName" && std::string(name->vr) == "PN");
    CHECK(std::string(name->value) == "PLANTEDSURNAME7Q^PLANTEDGIVEN7Q" && !name->hidden);
    CHECK(tsc_dicom_tag_list_get(plain, 0)->group == 0x0002);
    const tsc_dicom_tag *rows = find_tag(plain, 0x0028, 0x0010);
    REQUIRE(rows);
    CHECK(std::string(rows->value) == std::to_string(tsc_dicom_get_series(f.ix, 0)->rows));
    const tsc_dicom_tag *px = find_tag(plain, 0x7FE0, 0x0010);
    REQUIRE(px);
    CHECK(std::string(px->value).find("pixel data") != std::string::npos);
    CHECK(find_tag(plain, 0x0009, 0x1001) != nullptr);

    /* De-identified: every row, keyword and value, free of what was planted. */
    std::string all;
    size_t hidden = 0;
    for (size_t i = 0; i < tsc_dicom_tag_list_count(deid); i++) {
        const tsc_dicom_tag *t = tsc_dicom_tag_list_get(deid, i);
        all += std::string(t->keyword) + "=" + t->value + "\n";
        hidden += t->hidden != 0;
    }
    check_no_leak("the de-identified tag list", all);
    CHECK(tsc_dicom_tag_list_count(deid) == tsc_dicom_tag_list_count(plain));
    CHECK(hidden >= 10);
    /* The same pseudonym and study UID as the de-identified outputs. */
    char tag[TSC_DEID_TAG_SIZE], uid[TSC_DEID_UID_SIZE];
    tsc_deid_patient_tag(tsc_dicom_get_patient(f.ix, 0), tag);
    CHECK(std::string(find_tag(deid, 0x0010, 0x0010)->value) == std::string("Anonymous^") + tag);
    CHECK(std::string(find_tag(deid, 0x0010, 0x0020)->value) == std::string("TSC-") + tag);
    tsc_deid_uid(PLANTED_UID_ROOT ".1", uid);
    CHECK(std::string(find_tag(deid, 0x0020, 0x000D)->value) == uid);
    CHECK(find_tag(deid, 0x0008, 0x0080)->hidden);                    /* InstitutionName */
    CHECK(find_tag(deid, 0x0009, 0x1001)->hidden);                    /* private */
    CHECK(std::string(find_tag(deid, 0x0018, 0x1000)->value) == "0"); /* DeviceSerialNumber */
    CHECK(std::string(find_tag(deid, 0x0008, 0x0016)->value) ==
          std::string(find_tag(plain, 0x0008, 0x0016)->value)); /* a SOP class stays */
    tsc_dicom_tag_list_free(plain);
    tsc_dicom_tag_list_free(deid);
}

TSC_TEST(tag_browser_says_which_file_cannot_be_read_any_more)
{
    Fixture f;
    setup_edited(f, [](DcmDataset &, size_t) {});
    const tsc_dicom_slice_info *si = tsc_dicom_get_slice(f.ix, 0, 0);
    REQUIRE(unlink(si->path) == 0);
    tsc_error err;
    tsc_dicom_tag_list *l = nullptr;
    CHECK(tsc_dicom_slice_tags(f.ix, 0, 0, 0, &l, &err) == TSC_EIO);
    CHECK(l == nullptr);
    printf("error: %s\n", err.message);
    const char *base = strrchr(si->path, '/');
    CHECK(strstr(err.message, base + 1) != nullptr);
    CHECK(strstr(err.message, "reopen") != nullptr);
}

TSC_TEST(outputs_sr_is_read_back_as_a_stored_report_of_its_series)
{
    Fixture f;
    setup(f, true, false);
    const char *paths[] = {f.study.c_str(), f.out.c_str()};
    tsc_dicom_index *ix = nullptr;
    tsc_error err;
    REQUIRE(tsc_dicom_open(paths, 2, nullptr, &ix, &err) == TSC_OK);
    REQUIRE(tsc_dicom_n_reports(ix) == 1);
    const tsc_dicom_report_info *r = tsc_dicom_get_report(ix, 0);
    printf("report: %s by %s (%s) %s %s: %s; %zu groups\n", r->title, r->manufacturer,
           r->software, r->content_date, r->content_time, r->finding, r->n_measurement_groups);
    CHECK(r->struct_size == sizeof *r && r->content_readable);
    CHECK(std::string(r->path) == f.written.sr_path);
    CHECK(std::string(r->title) == "Imaging Measurement Report");
    CHECK(std::string(r->manufacturer) == "tumorscope");
    /* The model that made it, after the program's version. */
    CHECK(std::string(r->software).find(std::string("; ") + tsc_model_get_name(f.model)) !=
          std::string::npos);
    CHECK(strlen(r->content_date) == 8 && strlen(r->content_time) >= 6);
    /* About the analysed series (not the SEG of its evidence). */
    CHECK(std::string(r->referenced_series_uid) == tsc_dicom_get_series(f.ix, 0)->series_uid);
    tsc_description d;
    tsc_series_result_describe(f.model, f.sr, &d);
    CHECK(std::string(r->finding).rfind(d.finding, 0) == 0);
    size_t groups = 0;
    for (size_t k = 0; k < tsc_series_result_n_slices(f.sr); k++) {
        const tsc_result *x = tsc_series_result_get_slice(f.sr, k);
        if (x && tsc_result_get_verdict(x) == TSC_VERDICT_TUMOR) groups += tsc_result_n_lesions(x);
    }
    CHECK(groups > 0 && r->n_measurement_groups == groups);
    CHECK(std::string(r->completion) == "PARTIAL" || std::string(r->completion) == "COMPLETE");
    /* Not skipped as "not an image", and the image series is still one. */
    for (size_t i = 0; i < tsc_dicom_n_skipped(ix); i++)
        CHECK(std::string(tsc_dicom_get_skipped(ix, i)->path) != f.written.sr_path);
    CHECK(tsc_dicom_get_series(ix, 0)->n_slices == tsc_dicom_get_series(f.ix, 0)->n_slices);
    tsc_dicom_index_free(ix);
}

/* One run remaps each UID once: the SEG, SR and SC reference each other and
 * the same (de-identified) source images; dates move together. */
TSC_TEST(outputs_deidentified_references_stay_consistent)
{
    Fixture f;
    setup_edited(f, plant);
    tsc_report_options o = tsc_report_default_options();
    o.deidentify = 1;
    tsc_error err;
    REQUIRE(tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err) ==
            TSC_OK);
    tsc_dicom_outputs again;
    memset(&again, 0, sizeof again);
    again.struct_size = sizeof again;
    std::string out2 = f.out + "2";
    REQUIRE(tsc_write_dicom_outputs(out2.c_str(), f.model, f.ix, 0, f.sr, &o, &again, &err) == TSC_OK);

    DcmFileFormat fseg, fsr, fsc, fseg2;
    DcmDataset *seg = load(fseg, f.written.seg_path), *sr = load(fsr, f.written.sr_path);
    DcmDataset *sc = load(fsc, sc_files(f).at(0)), *seg2 = load(fseg2, again.seg_path);
    /* One study, one patient, one date. */
    for (DcmDataset *d : {sr, sc, seg2}) {
        CHECK(get(d, DCM_StudyInstanceUID) == get(seg, DCM_StudyInstanceUID));
        CHECK(get(d, DCM_PatientID) == get(seg, DCM_PatientID));
        CHECK(get(d, DCM_StudyDate) == get(seg, DCM_StudyDate));
        CHECK(get(d, DCM_StudyTime) == get(seg, DCM_StudyTime));
    }
    CHECK(get(seg, DCM_StudyDate) != "20190723" && get(seg, DCM_StudyDate).size() == 8);
    CHECK(get(seg, DCM_StudyDate) < "20190723");
    /* The SEG references the source series and instances the SC names. */
    DcmItem *ref = nullptr;
    REQUIRE(seg->findAndGetSequenceItem(DCM_ReferencedSeriesSequence, ref, 0).good());
    std::string series = get(ref, DCM_SeriesInstanceUID);
    CHECK(series.compare(0, 5, "2.25.") == 0);
    DcmSequenceOfItems *inst = nullptr;
    REQUIRE(ref->findAndGetSequence(DCM_ReferencedInstanceSequence, inst).good());
    std::set<std::string> seg_refs;
    for (unsigned long i = 0; i < inst->card(); i++)
        seg_refs.insert(get(inst->getItem(i), DCM_ReferencedSOPInstanceUID));
    CHECK(seg_refs.size() == tsc_dicom_get_series(f.ix, 0)->n_slices);
    DcmItem *src = nullptr;
    REQUIRE(sc->findAndGetSequenceItem(DCM_SourceImageSequence, src, 0).good());
    CHECK(seg_refs.count(get(src, DCM_ReferencedSOPInstanceUID)) == 1);
    /* Frame of reference remapped, the same in both runs. */
    CHECK(get(seg, DCM_FrameOfReferenceUID).compare(0, 5, "2.25.") == 0);
    CHECK(get(seg, DCM_FrameOfReferenceUID) == get(seg2, DCM_FrameOfReferenceUID));
    /* The SR's evidence names the SEG as it was saved. */
    DcmSequenceOfItems *ev = nullptr;
    REQUIRE(sr->findAndGetSequence(DCM_CurrentRequestedProcedureEvidenceSequence, ev).good());
    std::set<std::string> evidence;
    for (unsigned long i = 0; i < ev->card(); i++) {
        DcmItem *st = ev->getItem(i), *se = nullptr;
        for (unsigned long j = 0; st->findAndGetSequenceItem(DCM_ReferencedSeriesSequence, se, (int)j).good(); j++) {
            DcmSequenceOfItems *sops = nullptr;
            if (se->findAndGetSequence(DCM_ReferencedSOPSequence, sops).good())
                for (unsigned long m = 0; m < sops->card(); m++)
                    evidence.insert(get(sops->getItem(m), DCM_ReferencedSOPInstanceUID));
        }
    }
    CHECK(evidence.count(get(seg, DCM_SOPInstanceUID)) == 1);
    for (const auto &u : seg_refs) CHECK(evidence.count(u) == 1);
}

/* Writes the comparison of f's result with itself, one matched row per 3D
 * lesion, each row `row_size` bytes long (an older host's shorter row) and
 * the first naming follow-up lesion `first_followup`. */
tsc_status write_self_comparison(const Fixture &f, const std::string &path, size_t row_size,
                                 size_t first_followup, tsc_error *err)
{
    size_t n = tsc_series_result_n_lesions3d(f.sr);
    REQUIRE(n > 0);
    std::vector<tsc_dicom_compare_lesion> rows(n);
    std::vector<const tsc_dicom_compare_lesion *> ptrs(n);
    for (size_t i = 0; i < n; i++) {
        const tsc_lesion3d_info *le = tsc_series_result_get_lesion3d(f.sr, i);
        double p = le->diameter_mm * le->perpendicular_mm;
        rows[i] = {row_size,
                   TSC_LESION_MATCHED,
                   i,
                   i ? i : first_followup,
                   le->volume_ml,
                   le->volume_ml,
                   0,
                   p,
                   p,
                   0,
                   /* target */ 1};
        ptrs[i] = &rows[i];
    }
    tsc_dicom_comparison c = {sizeof c, ptrs.data(), n, 1,           1,
                              0,        1,           1, 0,           n,
                              0,        0,           n, TSC_RANO_SD, "sum of products unchanged"};
    tsc_report_options o = tsc_report_default_options();
    return tsc_write_dicom_compare_sr(path.c_str(), f.model, f.ix, 0, f.sr, f.ix, 0, f.sr, &c, &o,
                                      err);
}

/* The TextValue items of `path` that contain `what`. */
int texts_with(const std::string &path, const char *what)
{
    DcmFileFormat ff;
    DcmDataset *d = load(ff, path);
    DcmStack stack;
    int n = 0;
    while (d->search(DCM_TextValue, stack, ESM_afterStackTop, OFTrue).good()) {
        OFString v;
        static_cast<DcmElement *>(stack.top())->getOFString(v, 0);
        n += strstr(v.c_str(), what) != nullptr;
    }
    return n;
}

TSC_TEST(outputs_compare_sr_reads_an_older_hosts_rows_up_to_their_struct_size)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    size_t n = tsc_series_result_n_lesions3d(f.sr);
    tsc_error err;
    std::string full = f.out + "/full.dcm", old = f.out + "/old.dcm";
    REQUIRE(write_self_comparison(f, full, sizeof(tsc_dicom_compare_lesion), 0, &err) == TSC_OK);
    check_dciodvfy(full);
    CHECK(texts_with(full, "RANO target lesion") == (int)n);
    CHECK(texts_with(full, "RANO SD (stable disease), suggested, for the radiologist's "
                           "decision: sum of products unchanged") == 1);
    /* A row without `target`: read up to its size, the rest stays default. */
    REQUIRE(write_self_comparison(f, old, offsetof(tsc_dicom_compare_lesion, target), 0, &err) ==
            TSC_OK);
    CHECK(texts_with(old, "Matched with baseline lesion") == (int)n);
    CHECK(texts_with(old, "RANO target lesion") == 0);
}

TSC_TEST(outputs_compare_sr_refuses_a_row_naming_a_lesion_the_results_lack)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    std::string path = f.out + "/bad.dcm";
    tsc_error err;
    size_t n = tsc_series_result_n_lesions3d(f.sr);
    CHECK(write_self_comparison(f, path, sizeof(tsc_dicom_compare_lesion), n, &err) == TSC_EINVAL);
    printf("  %s\n", err.message);
    CHECK(strstr(err.message, "comparison row 1 names a lesion the results do not have") !=
          nullptr);
    struct stat st;
    CHECK(lstat(path.c_str(), &st) != 0);
}

/* ---- the reader's measurements (ABI version 9) ---- */

TSC_TEST(outputs_reader_measurements_reach_the_slice_png_and_the_sr)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    const tsc_dicom_series_info *se = tsc_dicom_get_series(f.ix, 0);
    size_t k = tsc_series_result_get_key_slice(f.sr);
    REQUIRE(k < se->n_slices);
    const double W = se->cols, H = se->rows;
    /* A horizontal ruler low in the image, an ellipse in its upper right. */
    const double ruler_xy[4] = {0.10 * W, 0.85 * H, 0.45 * W, 0.85 * H};
    const double ellipse_xy[4] = {0.62 * W, 0.12 * H, 0.88 * W, 0.30 * H};
    tsc_reader_measurement ruler = reader_measurement(TSC_READER_RULER, 1, k, ruler_xy, 2);
    ruler.length_mm = 31.25;
    tsc_reader_measurement ellipse = reader_measurement(TSC_READER_ELLIPSE, 2, k, ellipse_xy, 2);
    ellipse.length_mm = 60.5;
    ellipse.area_mm2 = 123.5;
    ellipse.n_pixels = 99;
    ellipse.mean = 456.25;
    ellipse.sd = 12.5;
    ellipse.min = 400;
    ellipse.max = 500;
    ellipse.units = "";
    const tsc_reader_measurement *ms[2] = {&ruler, &ellipse};
    tsc_report_options o = tsc_report_default_options();
    o.measurements = ms;
    o.n_measurements = 2;
    o.observer = "Reader^Test";
    tsc_error err;

    /* The slice PNG: a yellow ruler, as long as it is on the panel; none
     * without measurements. */
    std::string png = f.out + "-slice.png", bare = f.out + "-bare.png";
    const tsc_result *r = tsc_series_result_get_slice(f.sr, k);
    REQUIRE(tsc_report_slice_png(png.c_str(), f.model, f.ix, 0, k, r, &o, &err) == TSC_OK);
    tsc_report_options none = tsc_report_default_options();
    REQUIRE(tsc_report_slice_png(bare.c_str(), f.model, f.ix, 0, k, r, &none, &err) == TSC_OK);
    size_t total = 0, total_bare = 0;
    int row = tsc_test_png_measurement_yellow(png.c_str(), &total),
        row_bare = tsc_test_png_measurement_yellow(bare.c_str(), &total_bare);
    /* The panel is at least 512 px on its short side. */
    double zoom = 512.0 / std::min(W, H);
    printf("yellow: longest row %d px (ruler %.0f px), %zu in all; without: %zu\n", row,
           0.35 * W * zoom, total, total_bare);
    CHECK(row >= (int)(0.8 * 0.35 * W * zoom));
    CHECK(total_bare == 0 && row_bare == 0);

    /* The series PNG and the PDF list both in their table. */
    std::string series_png = f.out + "-series.png", pdf = f.out + "-report.pdf";
    drawn.clear();
    tsc__set_text_sink(keep_text, nullptr);
    REQUIRE(tsc_report_series_png(series_png.c_str(), f.model, f.ix, 0, f.sr, &o, &err) == TSC_OK);
    REQUIRE(tsc_report_pdf(pdf.c_str(), f.model, f.ix, 0, f.sr, &o, &err) == TSC_OK);
    tsc__set_text_sink(nullptr, nullptr);
    size_t tables = 0;
    for (size_t p = 0; (p = drawn.find("READER MEASUREMENTS (2)", p)) != std::string::npos; p++)
        tables++;
    printf("reader measurement tables: %zu (series PNG, PDF summary, PDF slice page)\n", tables);
    CHECK(tables >= 2);
    CHECK(drawn.find("31.2 mm") != std::string::npos || drawn.find("31.3 mm") != std::string::npos);
    CHECK(drawn.find("mean 456.2") != std::string::npos ||
          drawn.find("mean 456.3") != std::string::npos);

    /* The SR: two reader groups with their regions, values and observer. */
    DSRDocument doc;
    write_outputs_and_read_sr(f, o, doc);
    DSRDocumentTree &tree = doc.getTree();
    std::vector<std::string> ids;
    size_t polylines = 0, ellipses = 0, on_slice = 0, observers = 0;
    bool length = false, area = false, mean = false, sd = false, lo = false, hi = false;
    const char *sop = tsc_dicom_get_slice(f.ix, 0, k)->sop_instance_uid;
    REQUIRE(tree.gotoRoot() > 0);
    do {
        const DSRContentItem &item = tree.getCurrentContentItem();
        std::string code = item.getConceptName().getCodeValue().c_str();
        double v = item.getValueType() == DSRTypes::VT_Num
                       ? atof(item.getNumericValue().getNumericValue().c_str())
                       : NAN;
        if (code == "112039" &&
            strncmp(item.getStringValue().c_str(), "Reader measurement ", 19) == 0)
            ids.push_back(item.getStringValue().c_str());
        if (code == "121008" && item.getStringValue() == "Reader^Test") observers++;
        if (item.getValueType() == DSRTypes::VT_SCoord) {
            DSRSpatialCoordinatesValue sc(item.getSpatialCoordinates());
            size_t n = sc.getGraphicDataList().getNumberOfItems();
            if (sc.getGraphicType() == DSRTypes::GT_Polyline && n == 2) polylines++;
            if (sc.getGraphicType() == DSRTypes::GT_Ellipse && n == 4) ellipses++;
            size_t node = tree.getNodeID();
            if (tree.goDown() &&
                tree.getCurrentContentItem().getValueType() == DSRTypes::VT_Image &&
                tree.getCurrentContentItem().getImageReference().getSOPInstanceUID() == sop)
                on_slice++;
            tree.gotoNode(node);
        }
        if (code == "410668003") length = length || std::fabs(v - 31.25) < 0.006;
        if (code == "42798000") area = area || std::fabs(v - 123.5) < 0.006;
        if (code == "110852") {
            mean = mean || std::fabs(v - 456.25) < 0.006;
            sd = sd || std::fabs(v - 12.5) < 0.006;
            lo = lo || std::fabs(v - 400) < 0.006;
            hi = hi || std::fabs(v - 500) < 0.006;
        }
    } while (tree.iterate() > 0);
    CHECK(ids.size() == 2);
    CHECK(ids.size() == 2 && ids[0] == "Reader measurement 1" && ids[1] == "Reader measurement 2");
    CHECK(polylines == 1);
    CHECK(ellipses == 1);
    CHECK(on_slice == 2);
    CHECK(observers == 2);
    CHECK(length && area && mean && sd && lo && hi);
}

TSC_TEST(outputs_refuse_a_reader_measurement_past_the_last_slice)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    const double xy[4] = {1, 1, 5, 5};
    tsc_reader_measurement m =
        reader_measurement(TSC_READER_RULER, 0, tsc_dicom_get_series(f.ix, 0)->n_slices, xy, 2);
    const tsc_reader_measurement *ms[1] = {&m};
    tsc_report_options o = tsc_report_default_options();
    o.measurements = ms;
    o.n_measurements = 1;
    tsc_error err;
    tsc_status st =
        tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err);
    printf("  %d: %s\n", (int)st, err.message);
    CHECK(st == TSC_EINVAL);
    CHECK(strstr(err.message, "reader measurement 1") != nullptr);
    std::string png = f.out + "-slice.png";
    CHECK(tsc_report_series_png(png.c_str(), f.model, f.ix, 0, f.sr, &o, &err) == TSC_EINVAL);
}

/* Calls fn(value type, concept code, text) for each content item of doc. */
template <typename Fn>
static void each_sr_item(DSRDocument &doc, Fn fn)
{
    DSRDocumentTree &tree = doc.getTree();
    if (tree.gotoRoot() <= 0) return;
    do {
        const DSRContentItem &item = tree.getCurrentContentItem();
        fn(item.getValueType(), std::string(item.getConceptName().getCodeValue().c_str()),
           std::string(item.getStringValue().c_str()));
    } while (tree.iterate() > 0);
}

/* The reader's corrections reach the DICOM outputs: after rejecting the
 * phantom's lesion, erasing on one of its slices and painting a new lesion
 * elsewhere, the SEG holds only the painted mask and says SEMIAUTOMATIC
 * with the editor as content creator; the SR names the editor as observer,
 * states the edits and keeps the rejected lesion with its reason; both pass
 * dciodvfy.  The series PNG says who edited. */
TSC_TEST(outputs_edited_result_seg_is_semiautomatic_and_sr_states_the_edits)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    REQUIRE(tsc_series_result_n_lesions3d(f.sr) == 1);
    const tsc_lesion3d_info lesion = *tsc_series_result_get_lesion3d(f.sr, 0);
    tsc_point paint_at = {40, 40}, erase_at = {120, 100};
    tsc_edit e[3] = {tsc_edit_default(), tsc_edit_default(), tsc_edit_default()};
    e[0].kind = TSC_EDIT_ERASE;
    e[0].slice = lesion.key_slice;
    e[0].points = &erase_at;
    e[0].n_points = 1;
    e[0].radius_mm = 4;
    e[1].kind = TSC_EDIT_PAINT;
    e[1].slice = 7;
    e[1].points = &paint_at;
    e[1].n_points = 1;
    e[1].radius_mm = 6;
    e[2].kind = TSC_EDIT_REJECT;
    e[2].lesion = 0;
    e[2].reason = "false positive: vessel";
    const tsc_edit *list[] = {&e[0], &e[1], &e[2]};
    tsc_series_result *edited = nullptr;
    tsc_error err;
    REQUIRE(tsc_series_result_apply_edits(f.model, f.sr, list, 3, "Jane Doe", &edited, &err) ==
            TSC_OK);
    tsc_series_result_free(f.sr);
    f.sr = edited;
    REQUIRE(tsc_series_result_n_lesions3d(f.sr) == 1);
    CHECK(tsc_series_result_get_lesion3d(f.sr, 0)->first_slice == 7);
    tsc_report_options o = tsc_report_default_options();
    REQUIRE(tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err) ==
            TSC_OK);
    REQUIRE(f.written.seg_path[0]);
    check_dciodvfy(f.written.seg_path);
    check_dciodvfy(f.written.sr_path);

    DcmFileFormat seg_ff;
    DcmDataset *seg = load(seg_ff, f.written.seg_path);
    DcmItem *segment = nullptr;
    REQUIRE(seg->findAndGetSequenceItem(DCM_SegmentSequence, segment, 0).good());
    CHECK(get(segment, DCM_SegmentAlgorithmType) == "SEMIAUTOMATIC");
    CHECK(get(seg, DCM_ContentCreatorName) == "Jane Doe^");
    CHECK(get(seg, DCM_NumberOfFrames) == "1"); /* only the painted slice */

    DcmFileFormat sr_ff;
    DSRDocument doc;
    REQUIRE(doc.read(*load(sr_ff, f.written.sr_path)).good());
    bool observer = false, rejected = false, described = false;
    size_t areas = 0;
    each_sr_item(
        doc, [&](DSRTypes::E_ValueType type, const std::string &code, const std::string &text) {
            if (type == DSRTypes::VT_PName && code == "121008") observer |= text == "Jane Doe^";
            if (type == DSRTypes::VT_Text && code == "121106") {
                rejected |= text.find("Rejected by the reader: lesion 1 of the analysis") !=
                                std::string::npos &&
                            text.find("false positive: vessel") != std::string::npos;
                described |= text.find("Edited by Jane Doe: 1 lesion rejected; brush on slice 8; "
                                       "eraser on slice") != std::string::npos;
            }
            if (type == DSRTypes::VT_Num && code == "42798000") areas++;
        });
    CHECK(observer);
    CHECK(rejected);
    CHECK(described);
    CHECK(areas == 1); /* the painted lesion's group only: the rejected one has none */

    std::string png = f.out + "/edited_summary.png";
    CHECK(tsc_report_series_png(png.c_str(), f.model, f.ix, 0, f.sr, &o, &err) == TSC_OK);
}

/* An editor's name and a rejection reason outside ASCII (the viewer takes
 * them from the preferences and a text field): the SR and the SEG declare
 * SpecificCharacterSet ISO_IR 192, read back with the same characters, and
 * pass dciodvfy. */
TSC_TEST(outputs_edited_sr_with_non_ascii_editor_and_reason_declares_utf8)
{
    Fixture f;
    setup(f, true, false, nullptr, false);
    REQUIRE(tsc_series_result_n_lesions3d(f.sr) == 1);
    tsc_point paint_at = {40, 40};
    tsc_edit e[2] = {tsc_edit_default(), tsc_edit_default()};
    e[0].kind = TSC_EDIT_REJECT;
    e[0].lesion = 0;
    e[0].reason = "faux positif \xe2\x80\x94 vaisseau, 12 mm\xc2\xb2";
    e[1].kind = TSC_EDIT_PAINT;
    e[1].slice = 7;
    e[1].points = &paint_at;
    e[1].n_points = 1;
    e[1].radius_mm = 6;
    const tsc_edit *list[] = {&e[0], &e[1]};
    const char *editor = "Zo\xc3\xab M\xc3\xbcller";
    tsc_series_result *edited = nullptr;
    tsc_error err;
    REQUIRE(tsc_series_result_apply_edits(f.model, f.sr, list, 2, editor, &edited, &err) == TSC_OK);
    tsc_series_result_free(f.sr);
    f.sr = edited;
    tsc_report_options o = tsc_report_default_options();
    tsc_status written =
        tsc_write_dicom_outputs(f.out.c_str(), f.model, f.ix, 0, f.sr, &o, &f.written, &err);
    if (written != TSC_OK) fprintf(stderr, "%s\n", err.message);
    REQUIRE(written == TSC_OK);
    REQUIRE(f.written.seg_path[0]);

    DcmFileFormat sr_ff, seg_ff;
    DcmDataset *sr = load(sr_ff, f.written.sr_path);
    DcmDataset *seg = load(seg_ff, f.written.seg_path);
    CHECK(get(sr, DCM_SpecificCharacterSet) == "ISO_IR 192");
    CHECK(get(seg, DCM_SpecificCharacterSet) == "ISO_IR 192");
    CHECK(get(seg, DCM_ContentCreatorName) == std::string(editor) + "^");
    DSRDocument doc;
    REQUIRE(doc.read(*sr).good());
    CHECK(doc.getSpecificCharacterSetType() == DSRTypes::CS_UTF8);
    bool observer = false, reason = false;
    each_sr_item(doc,
                 [&](DSRTypes::E_ValueType type, const std::string &code, const std::string &text) {
                     if (type == DSRTypes::VT_PName && code == "121008")
                         observer |= text == std::string(editor) + "^";
                     if (type == DSRTypes::VT_Text && code == "121106")
                         reason |= text.find(e[0].reason) != std::string::npos;
                 });
    CHECK(observer);
    CHECK(reason);
    check_dciodvfy(f.written.sr_path);
    check_dciodvfy(f.written.seg_path);
}

TSC_TEST_MAIN(TSC_CASE(outputs_edited_result_seg_is_semiautomatic_and_sr_states_the_edits),
              TSC_CASE(outputs_edited_sr_with_non_ascii_editor_and_reason_declares_utf8),
              TSC_CASE(outputs_seg_passes_dciodvfy),
              TSC_CASE(outputs_seg_of_threshold_method_passes_dciodvfy),
              TSC_CASE(outputs_sc_passes_dciodvfy), TSC_CASE(outputs_sr_passes_dciodvfy),
              TSC_CASE(outputs_deidentified_objects_pass_dciodvfy),
              TSC_CASE(outputs_seg_frames_match_the_analysis_masks),
              TSC_CASE(outputs_seg_of_a_multiframe_source_references_its_frames),
              TSC_CASE(outputs_seg_references_every_source_instance_and_geometry),
              TSC_CASE(outputs_sr_has_axes_and_area_per_lesion),
              TSC_CASE(outputs_reader_measurements_reach_the_slice_png_and_the_sr),
              TSC_CASE(outputs_refuse_a_reader_measurement_past_the_last_slice),
              TSC_CASE(outputs_reader_measurements_without_a_lesion_pass_dciodvfy),
              TSC_CASE(outputs_sc_has_one_rgb_image_per_finding),
              TSC_CASE(outputs_deidentified_use_pseudonyms_and_a_new_study),
              TSC_CASE(outputs_refuse_to_overwrite_without_force),
              TSC_CASE(outputs_refuse_to_write_into_the_study_folder),
              TSC_CASE(outputs_without_tumour_write_sc_and_sr_but_no_seg),
              TSC_CASE(outputs_source_without_frame_of_reference_gets_a_stated_new_one),
              TSC_CASE(outputs_dicom_errors_name_the_missing_attribute),
              TSC_CASE(outputs_deidentified_hold_no_planted_identifier),
              TSC_CASE(tag_browser_deidentified_lists_no_planted_identifier),
              TSC_CASE(tag_browser_says_which_file_cannot_be_read_any_more),
              TSC_CASE(outputs_sr_is_read_back_as_a_stored_report_of_its_series),
              TSC_CASE(outputs_deidentified_references_stay_consistent),
              TSC_CASE(outputs_pdf_passes_dciodvfy_in_the_source_study),
              TSC_CASE(outputs_deidentified_pdf_passes_dciodvfy_with_the_same_pseudonyms),
              TSC_CASE(outputs_compare_sr_reads_an_older_hosts_rows_up_to_their_struct_size),
              TSC_CASE(outputs_compare_sr_refuses_a_row_naming_a_lesion_the_results_lack))
