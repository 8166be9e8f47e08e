/* SPDX-License-Identifier: BSD-3-Clause */
/* DICOM outputs: the C entry, identity of the new series, source headers,
 * atomic saving.  Every DCMTK failure keeps DCMTK's text in the message. */
#include "output_private.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/oflog/oflog.h>
#include <dcmtk/oflog/spi/logevent.h>
#include <dcmtk/ofstd/ofdatime.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <random>
#include <set>

#include "render_private.h"
#include "tsc_deid.h"
#include "tsc_edit.h"
#include "uid_private.h"

namespace tsc_out {

const Code CODE_MORPH_ABNORMAL = {"49755003", "SCT", "Morphologically Abnormal Structure"};
const Code CODE_BRAIN = {"12738006", "SCT", "Brain"};

/* Types we could verify in SNOMED CT; others use the generic Neoplasm
 * concept and the label spells the type (docs/REPORTS.md). */
static const struct {
    const char *name;
    Code code;
} TYPE_CODES[] = {
    {"glioma", {"393563007", "SCT", "Glioma"}},
    {"pituitary", {"254956000", "SCT", "Pituitary adenoma"}},
};
static const Code CODE_NEOPLASM = {"108369006", "SCT", "Neoplasm"};

void fail(tsc_status status, const std::string &message)
{
    throw Error{status, message};
}

/* What DCMTK logged on this thread while a DcmtkLog is open. */
static thread_local std::vector<std::string> *dcmtk_lines = nullptr;

namespace {
class Capture : public dcmtk::log4cplus::Appender {
  public:
    ~Capture() override { destructorImpl(); }
    void close() override {}

  protected:
    void append(const dcmtk::log4cplus::spi::InternalLoggingEvent &ev) override
    {
        if (dcmtk_lines && dcmtk_lines->size() < 32) dcmtk_lines->push_back(ev.getMessage().c_str());
    }
};
} // namespace

static std::vector<std::string> &log_lines()
{
    static thread_local std::vector<std::string> lines;
    return lines;
}

DcmtkLog::DcmtkLog()
{
    /* One appender on DCMTK's root logger for the life of the process; it
     * keeps messages only on threads that hold a DcmtkLog. */
    static bool added = [] {
        dcmtk::log4cplus::SharedAppenderPtr a(new Capture);
        a->setName("tumorscope-capture");
        dcmtk::log4cplus::Logger::getRoot().addAppender(a);
        return true;
    }();
    (void)added;
    log_lines().clear();
    dcmtk_lines = &log_lines();
}

DcmtkLog::~DcmtkLog()
{
    dcmtk_lines = nullptr;
}

/* DCMTK names an attribute it misses or refuses in a log line such as
 * "Missing Type 1 attribute: Frame of Reference UID (0020,0052)"; those are
 * the lines worth repeating. */
static std::string attribute_lines()
{
    std::string out;
    std::set<std::string> seen;
    for (const std::string &l : log_lines()) {
        if (l.find('(') == std::string::npos || !seen.insert(l).second) continue;
        out += out.empty() ? "" : "; ";
        out += l;
    }
    return out;
}

void check(const OFCondition &c, const std::string &what)
{
    if (c.good()) return;
    std::string msg = what + ": " + c.text();
    std::string detail = dcmtk_lines ? attribute_lines() : std::string();
    if (!detail.empty()) msg += " (" + detail + ")";
    fail(TSC_EINTERNAL, msg);
}

/* A new UID (uid_private.h): unique without a
 * registered root; `root` only documents which kind of UID is made. */
void apply_sc_common(DcmItem &ds, const Context &c, const char *sop_class, const char *modality,
                     const std::string &series_uid, int series_number,
                     const char *series_description)
{
    /* SOP Common. */
    ds.putAndInsertString(DCM_SOPClassUID, sop_class);
    ds.putAndInsertString(DCM_SOPInstanceUID, new_uid(SITE_INSTANCE_UID_ROOT).c_str());
    ds.putAndInsertString(DCM_InstanceCreationDate, c.content_date.c_str());
    ds.putAndInsertString(DCM_InstanceCreationTime, c.content_time.c_str());
    /* Patient, General Study, General Equipment: as every output. */
    apply_identity(ds, c);
    /* General Series (Encapsulated Document Series for the PDF). */
    ds.putAndInsertString(DCM_Modality, modality);
    ds.putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str());
    ds.putAndInsertString(DCM_SeriesNumber, std::to_string(series_number).c_str());
    ds.putAndInsertString(DCM_SeriesDescription, series_description);
    ds.putAndInsertString(DCM_SeriesDate, c.content_date.c_str());
    ds.putAndInsertString(DCM_SeriesTime, c.content_time.c_str());
    /* SC Equipment: made on a workstation. */
    ds.putAndInsertString(DCM_ConversionType, "WSD");
    ds.putAndInsertString(DCM_SecondaryCaptureDeviceManufacturer, "tumorscope");
    ds.putAndInsertString(DCM_SecondaryCaptureDeviceManufacturerModelName, "tumorscope");
    ds.putAndInsertString(DCM_SecondaryCaptureDeviceSoftwareVersions, c.software.c_str());
}

std::string new_uid(const char *root)
{
    (void)root;
    std::random_device rd;
    return tsc__random_uid(rd);
}

static bool is_cnn(const Context &c, const tsc_result *r)
{
    return c.model && r && tsc_result_get_method(r) == TSC_METHOD_CNN &&
           tsc_result_n_classes(r) == tsc_model_n_classes(c.model);
}

std::string class_display(const Context &c, const tsc_result *r, size_t label)
{
    if (is_cnn(c, r) && label < tsc_model_n_classes(c.model))
        return tsc_model_get_class_display(c.model, label);
    return std::string("Tumour (") + tsc_method_to_string(tsc_result_get_method(r)) +
           " method, for comparison only)";
}

uint32_t class_color(const Context &c, const tsc_result *r, size_t label)
{
    if (is_cnn(c, r) && label < tsc_model_n_classes(c.model))
        return tsc_model_get_class_color(c.model, label);
    return TSC__COLOR_CLASSIC;
}

Code class_code(const Context &c, const tsc_result *r, size_t label)
{
    if (is_cnn(c, r) && label < tsc_model_n_classes(c.model)) {
        const char *name = tsc_model_get_class_name(c.model, label);
        for (const auto &t : TYPE_CODES)
            if (strcmp(name, t.name) == 0) return t.code;
    }
    return CODE_NEOPLASM;
}

std::vector<size_t> tumour_slices(const Context &c)
{
    std::vector<size_t> out;
    for (size_t k = 0; k < tsc_series_result_n_slices(c.r); k++) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        if (!r || tsc_result_get_verdict(r) != TSC_VERDICT_TUMOR) continue;
        int rows = 0, cols = 0;
        const uint8_t *m = tsc_result_get_mask(r, &rows, &cols);
        size_t n = (size_t)rows * (size_t)cols;
        if (std::any_of(m, m + n, [](uint8_t v) { return v != 0; })) out.push_back(k);
    }
    return out;
}

void load_sources(Context &c)
{
    c.src.resize(c.se->n_slices);
    for (size_t k = 0; k < c.se->n_slices; k++) {
        const tsc_dicom_slice_info *sl = tsc_dicom_get_slice(c.index, c.series, k);
        SourceImage &s = c.src[k];
        s.path = sl->path;
        s.sop_instance = sl->sop_instance_uid;
        s.frame = sl->frame;
        s.n_frames = sl->n_frames;
        auto it = c.headers.find(s.path);
        if (it == c.headers.end()) {
            std::unique_ptr<DcmFileFormat> ff(new DcmFileFormat);
            /* Headers only: the SOP class and the image library need no pixels. */
            OFCondition cond = ff->loadFileUntilTag(s.path.c_str(), EXS_Unknown, EGL_noChange,
                                                    DCM_MaxReadLength, ERM_autoDetect,
                                                    DCM_PixelData);
            if (cond.bad())
                fail(TSC_EIO, "source slice " + std::to_string(k) + " (" + s.path +
                                  ") cannot be read again: " + cond.text());
            it = c.headers.emplace(s.path, std::move(ff)).first;
        }
        s.header = it->second->getDataset();
        OFString cls;
        if (s.header->findAndGetOFString(DCM_SOPClassUID, cls).bad() || cls.empty())
            fail(TSC_EFORMAT, "source slice " + std::to_string(k) + " has no SOP Class UID");
        s.sop_class = cls.c_str();
    }
    c.source_study_uid = c.st->study_uid;
    c.source_series_uid = c.se->series_uid;
    c.frame_of_reference = c.se->frame_of_reference_uid;
}

static bool non_ascii(const std::string &s)
{
    return std::any_of(s.begin(), s.end(), [](char ch) { return (unsigned char)ch >= 0x80; });
}

static void identity(Context &c)
{
    c.study_date = c.st->date;
    c.study_time = c.st->time;
    c.study_description = c.st->description;
    c.sex = c.pt->sex;
    c.study_uid = c.st->study_uid;
    if (c.opt.deidentify) {
        /* One random pseudonym per patient and run (tsc_deid.h): the series
         * of one study exported together stay one patient; separate runs
         * are not linkable by name.  The study UID and dates are remapped
         * and shifted with everything else when the object is saved. */
        char tag[TSC_DEID_TAG_SIZE], text[128];
        tsc_deid_patient_tag(c.pt, tag);
        c.patient_name = std::string("Anonymous^") + tag;
        c.patient_id = std::string("TSC-") + tag;
        c.birth_date = "";
        c.sex = "";
        char study_id[TSC_DEID_UID_SIZE];
        tsc_deid_study_id(c.st->study_uid, study_id);
        c.study_id = study_id;
        c.accession = "";
        c.study_description = tsc_deid_study_description(c.se->modality, text, sizeof text);
    } else {
        c.patient_name = c.pt->name;
        c.patient_id = c.pt->id;
        c.birth_date = c.pt->birth_date;
        c.study_id = c.st->study_id;
        c.accession = c.st->accession;
    }
    c.utf8 = non_ascii(c.patient_name) || non_ascii(c.study_description) ||
             non_ascii(c.se->description);
    /* The reader's name and reasons are free text too (SR observer, SEG
     * content creator, the edits' comments). */
    if (c.opt.observer && non_ascii(c.opt.observer)) c.utf8 = true;
    if (c.r && tsc_series_result_is_edited(c.r)) {
        if (non_ascii(tsc_series_result_get_editor(c.r))) c.utf8 = true;
        for (size_t i = 0; i < tsc_series_result_n_rejected(c.r); i++) {
            const char *why = tsc_series_result_get_rejected(c.r, i)->reason;
            if (why && non_ascii(why)) c.utf8 = true;
        }
    }
    OFDateTime now = OFDateTime::getCurrentDateTime();
    OFString d, t;
    now.getDate().getISOFormattedDate(d, OFFalse);
    now.getTime().getISOFormattedTime(t, OFTrue, OFFalse, OFFalse, OFFalse);
    c.content_date = d.c_str();
    c.content_time = t.c_str();
    c.software = std::string("tumorscope ") + TSC_VERSION;
    if (c.model) {
        c.software += "\\";
        c.software += tsc_model_get_name(c.model);
        c.software += " ";
        c.software += tsc_model_get_version(c.model);
    }
}

void apply_identity(DcmItem &ds, const Context &c)
{
    if (c.utf8) ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
    ds.putAndInsertString(DCM_PatientName, c.patient_name.c_str());
    ds.putAndInsertString(DCM_PatientID, c.patient_id.c_str());
    ds.putAndInsertString(DCM_PatientBirthDate, c.birth_date.c_str());
    ds.putAndInsertString(DCM_PatientSex, c.sex.c_str());
    ds.putAndInsertString(DCM_StudyInstanceUID, c.study_uid.c_str());
    ds.putAndInsertString(DCM_StudyDate, c.study_date.c_str());
    ds.putAndInsertString(DCM_StudyTime, c.study_time.c_str());
    ds.putAndInsertString(DCM_StudyID, c.study_id.c_str());
    ds.putAndInsertString(DCM_AccessionNumber, c.accession.c_str());
    ds.putAndInsertString(DCM_ReferringPhysicianName, "");
    if (!c.study_description.empty())
        ds.putAndInsertString(DCM_StudyDescription, c.study_description.c_str());
    ds.putAndInsertString(DCM_Manufacturer, "tumorscope");
    ds.putAndInsertString(DCM_ManufacturerModelName, "tumorscope");
    ds.putAndInsertString(DCM_SoftwareVersions, c.software.c_str());
}

void save_atomic(DcmFileFormat &ff, const std::string &path, const Context &c)
{
    /* Last step before the bytes: nothing added later can escape it. */
    if (c.opt.deidentify) deidentify(*ff.getDataset(), c);
    tsc__outfile of;
    tsc_error e;
    tsc_error_clear(&e);
    if (tsc__outfile_reserve(&of, path.c_str(), c.opt.force != 0, &e) != TSC_OK)
        fail(e.status, e.message);
    OFCondition cond = ff.saveFile(of.tmp, EXS_LittleEndianExplicit);
    if (cond.bad()) {
        tsc__outfile_abort(&of);
        fail(TSC_EIO, "saving " + path + ": " + cond.text());
    }
    if (tsc__outfile_commit(&of, &e) != TSC_OK) fail(e.status, e.message);
}

/* Refuses existing outputs before anything is written. */
static void check_existing(const std::string &dir, bool force)
{
    if (force) return;
    struct stat st;
    for (const char *name : {"SEG.dcm", "SR.dcm"})
        if (lstat((dir + "/" + name).c_str(), &st) == 0)
            fail(TSC_EEXIST, dir + "/" + name + " already exists; pass --force to overwrite it");
    DIR *d = opendir((dir + "/SC").c_str());
    if (!d) return;
    bool any = false;
    while (dirent *e = readdir(d)) any |= strncmp(e->d_name, "SC", 2) == 0 && strstr(e->d_name, ".dcm");
    closedir(d);
    if (any)
        fail(TSC_EEXIST, dir + "/SC already holds Secondary Capture images; pass --force to "
                               "overwrite them");
}

/* With force, Secondary Capture files of an earlier, longer run are stale. */
static void remove_stale_sc(const std::string &dir, size_t n_written)
{
    DIR *d = opendir(dir.c_str());
    if (!d) return;
    std::vector<std::string> stale;
    while (dirent *e = readdir(d)) {
        unsigned n = 0;
        char tail[8] = "";
        if (sscanf(e->d_name, "SC%4u.%3s", &n, tail) == 2 && strcmp(tail, "dcm") == 0 &&
            strlen(e->d_name) == 10 && n > n_written)
            stale.push_back(dir + "/" + e->d_name);
    }
    closedir(d);
    for (const auto &p : stale) unlink(p.c_str());
}

/* The series, study and patient of `series`. */
static void locate(Context &c, const tsc_model *model, const tsc_dicom_index *index, size_t series,
                   const tsc_series_result *r, const tsc_report_options *options)
{
    c.model = model;
    c.index = index;
    c.series = series;
    c.r = r;
    c.opt = tsc__report_options(options);
    c.se = tsc_dicom_get_series(index, series);
    c.st = tsc_dicom_get_study(index, c.se->study);
    c.pt = tsc_dicom_get_patient(index, c.st->patient);
}

/* The context of one series' outputs; refuses results that cannot be
 * attached to the source slices. */
static void begin(Context &c, const tsc_model *model, const tsc_dicom_index *index, size_t series,
                  const tsc_series_result *r, const tsc_report_options *options)
{
    locate(c, model, index, series, r, options);
    tsc_error e{};
    if (tsc__measurements_check(&c.opt, c.se->n_slices, &e) != TSC_OK) fail(TSC_EINVAL, e.message);
    /* SEG, SR and Secondary Captures reference the source images; slices of
     * a reformat have another geometry and would be attached to the wrong
     * frames. */
    if (tsc_series_result_get_reformat(r)[0])
        fail(TSC_EINVAL, std::string("SEG not written: results are on an axial reformat (") +
                             tsc_series_result_get_reformat(r) +
                             "); the DICOM outputs (SEG, SR, Secondary Capture) reference the "
                             "source images, so none were written; the 3D lesions in patient "
                             "coordinates are in the analysis result");
    if (tsc_series_result_n_slices(r) != c.se->n_slices)
        fail(TSC_EINVAL, "the series result has " + std::to_string(tsc_series_result_n_slices(r)) +
                             " slices but series " + std::to_string(series) + " has " +
                             std::to_string(c.se->n_slices) + "; analyse the series again");
}

static tsc_status run(const char *out_dir, const tsc_model *model, const tsc_dicom_index *index,
                      size_t series, const tsc_series_result *r,
                      const tsc_report_options *options, tsc_dicom_outputs *out, tsc_error *err)
{
    Context c;
    begin(c, model, index, series, r, options);
    tsc_status st = tsc__check_outside_inputs(index, out_dir, 1, err);
    if (st != TSC_OK) return st;
    std::string dir = out_dir;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    check_existing(dir, c.opt.force != 0);
    if ((st = tsc__mkdirs(dir.c_str(), err)) != TSC_OK) return st;
    load_sources(c);
    identity(c);

    std::string sc_dir = dir + "/SC", sr_path = dir + "/SR.dcm";
    if ((st = tsc__mkdirs(sc_dir.c_str(), err)) != TSC_OK) return st;
    size_t n_sc = 0;
    DcmtkLog dcmtk_log; /* failures name the attribute DCMTK logged */
    try {
        if (!tumour_slices(c).empty()) {
            c.seg_path = dir + "/SEG.dcm";
            write_seg(c, c.seg_path);
            c.written.push_back(c.seg_path);
        }
        n_sc = write_sc(c, sc_dir);
        write_sr(c, sr_path);
    } catch (...) {
        /* No half set of outputs: a retry must not trip over them. */
        for (const auto &p : c.written) unlink(p.c_str());
        throw;
    }
    if (c.opt.force) remove_stale_sc(sc_dir, n_sc);

    snprintf(out->seg_path, sizeof out->seg_path, "%s", c.seg_path.c_str());
    snprintf(out->sr_path, sizeof out->sr_path, "%s", sr_path.c_str());
    snprintf(out->sc_dir, sizeof out->sc_dir, "%s", sc_dir.c_str());
    out->n_sc = n_sc;
    return TSC_OK;
}

/* One output file at `path`: its folder outside the input folders of every
 * study in `indices` and created, an existing file refused unless `force`. */
static tsc_status prepare_file(const char *path,
                               std::initializer_list<const tsc_dicom_index *> indices, bool force,
                               tsc_error *err)
{
    std::string dir = path;
    size_t slash = dir.find_last_of('/');
    dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    for (const tsc_dicom_index *index : indices) {
        tsc_status st = tsc__check_outside_inputs(index, dir.c_str(), 1, err);
        if (st != TSC_OK) return st;
    }
    tsc_status st = tsc__mkdirs(dir.c_str(), err);
    if (st != TSC_OK) return st;
    struct stat sb;
    if (!force && lstat(path, &sb) == 0)
        fail(TSC_EEXIST, std::string(path) + " already exists; pass --force to overwrite it");
    return TSC_OK;
}

static tsc_status run_pdf(const char *path, const tsc_model *model, const tsc_dicom_index *index,
                          size_t series, const tsc_series_result *r,
                          const tsc_report_options *options, tsc_error *err)
{
    Context c;
    begin(c, model, index, series, r, options);
    tsc_status st = prepare_file(path, {index}, c.opt.force != 0, err);
    if (st != TSC_OK) return st;
    load_sources(c);
    identity(c);
    DcmtkLog dcmtk_log;
    write_pdf(c, path);
    return TSC_OK;
}

static tsc_status run_compare_sr(const char *path, const tsc_model *model,
                                 const tsc_dicom_index *b_index, size_t b_series,
                                 const tsc_series_result *b_r, const tsc_dicom_index *f_index,
                                 size_t f_series, const tsc_series_result *f_r,
                                 const tsc_dicom_comparison *comparison,
                                 const tsc_report_options *options, tsc_error *err)
{
    /* The comparison is in patient coordinates and the evidence names
     * whole series, so results on a reformat are as good as any here. */
    Context f, b;
    locate(f, model, f_index, f_series, f_r, options);
    locate(b, model, b_index, b_series, b_r, options);
    tsc_status st = prepare_file(path, {f_index, b_index}, f.opt.force != 0, err);
    if (st != TSC_OK) return st;
    load_sources(f);
    load_sources(b);
    identity(f);
    DcmtkLog dcmtk_log;
    write_compare_sr(f, b, *comparison, path);
    return TSC_OK;
}

} // namespace tsc_out

extern "C" tsc_status tsc_write_dicom_compare_sr(
    const char *path, const tsc_model *model, const tsc_dicom_index *baseline_index,
    size_t baseline_series, const tsc_series_result *baseline,
    const tsc_dicom_index *followup_index, size_t followup_series,
    const tsc_series_result *followup, const tsc_dicom_comparison *comparison,
    const tsc_report_options *options, tsc_error *err)
{
    TSC_ASSERT(path && baseline_index && baseline && followup_index && followup && comparison);
    TSC_ASSERT(baseline_series < tsc_dicom_n_series(baseline_index));
    TSC_ASSERT(followup_series < tsc_dicom_n_series(followup_index));
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
    return tsc_out::run_compare_sr(path, model, baseline_index, baseline_series, baseline,
                                   followup_index, followup_series, followup, comparison, options,
                                   err);
    TSC__API_IMPL_END(err, "DICOM comparison report")
}

extern "C" tsc_status tsc_write_dicom_outputs(const char *out_dir, const tsc_model *model,
                                              const tsc_dicom_index *index, size_t series,
                                              const tsc_series_result *r,
                                              const tsc_report_options *options,
                                              tsc_dicom_outputs *written, tsc_error *err)
{
    TSC_ASSERT(out_dir && index && r && written);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    tsc_error_clear(err);
    tsc_dicom_outputs out;
    memset(&out, 0, sizeof out);
    out.struct_size = sizeof out;
    tsc_status st = [&]() -> tsc_status {
        TSC__API_IMPL_BEGIN
            return tsc_out::run(out_dir, model, index, series, r, options, &out, err);
        TSC__API_IMPL_END(err, "DICOM outputs")
    }();
    /* Fill what the caller's (possibly older, smaller) struct can hold. */
    TSC__RESULT_COPY(written, &out);
    return st;
}

extern "C" tsc_status tsc_write_dicom_pdf(const char *path, const tsc_model *model,
                                          const tsc_dicom_index *index, size_t series,
                                          const tsc_series_result *r,
                                          const tsc_report_options *options, tsc_error *err)
{
    TSC_ASSERT(path && index && r);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    tsc_error_clear(err);
    TSC__API_IMPL_BEGIN
        return tsc_out::run_pdf(path, model, index, series, r, options, err);
    TSC__API_IMPL_END(err, "DICOM Encapsulated PDF")
}
