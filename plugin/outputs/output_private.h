/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by plugin/outputs/output_*.cc (C++ over DCMTK).  Errors
 * travel as tsc_out::Error exceptions inside this module only; the C entry
 * in output_common.cc turns them (and any other exception) into a status
 * through the firewall (firewall_private.h). */
#ifndef TSC_OUTPUT_PRIVATE_H
#define TSC_OUTPUT_PRIVATE_H

#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcfilefo.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "firewall_private.h"
#include "struct_size_private.h"
#include "tsc_dicom_outputs.h"

class DSRCodedEntryValue;
class DSRDocument;
class TID1500_MeasurementReport;

namespace tsc_out {

/* Caught, with its status and message, by the firewall of the C entry. */
using Error = ::tsc__status_error;

[[noreturn]] void fail(tsc_status status, const std::string &message);
/* Throws TSC_EINTERNAL "what: <DCMTK's text>" when `c` is bad, naming the
 * attributes DCMTK reported missing or invalid while a DcmtkLog was open
 * ("Missing Attribute(s): Frame of Reference UID (0020,0052)"). */
void check(const OFCondition &c, const std::string &what);

/* While alive, keeps what DCMTK logs on this thread at warning level and
 * above, so that check() can say which attribute a failure is about (DCMTK
 * returns only "Missing Attribute(s)" and logs the names). */
struct DcmtkLog {
    DcmtkLog();
    ~DcmtkLog();
    DcmtkLog(const DcmtkLog &) = delete;
    DcmtkLog &operator=(const DcmtkLog &) = delete;
};

/* A coded concept (value, scheme, meaning). */
struct Code {
    const char *value, *scheme, *meaning;
};

/* One slice of the source series. */
struct SourceImage {
    std::string path, sop_class, sop_instance;
    int frame = 0;    /* 0-based frame within a multi-frame object */
    int n_frames = 1;
    DcmDataset *header = nullptr; /* borrowed from Context::headers */
};

struct Context {
    const tsc_model *model = nullptr;
    const tsc_dicom_index *index = nullptr;
    size_t series = 0;
    const tsc_series_result *r = nullptr;
    tsc_report_options opt;
    const tsc_dicom_series_info *se = nullptr;
    const tsc_dicom_study_info *st = nullptr;
    const tsc_dicom_patient_info *pt = nullptr;

    std::vector<SourceImage> src;
    std::map<std::string, std::unique_ptr<DcmFileFormat>> headers; /* per file */
    std::string source_study_uid, source_series_uid, frame_of_reference;
    /* The source has no FrameOfReferenceUID: the SEG states a new one. */
    bool new_frame_of_reference = false;

    /* Identity written into every output (pseudonyms when de-identified).
     * Dates and UIDs are the source's own here: with de-identification,
     * save_atomic() shifts and remaps them in the finished object, with
     * every other date and UID in it (output_deid.cc). */
    std::string patient_name, patient_id, birth_date, sex;
    std::string study_uid, study_date, study_time, study_id, accession, study_description;
    bool utf8 = false;
    std::string content_date, content_time, software;

    /* Filled by the SEG writer for the SR. */
    std::string seg_path, seg_sop_uid, seg_series_uid;
    std::map<size_t, unsigned> segment_of_label; /* class label -> segment number */
    std::map<size_t, unsigned> frame_of_slice;   /* slice -> SEG frame number (1-based) */

    std::vector<std::string> written; /* removed again when a later step fails */
};

void load_sources(Context &c);
/* Patient, study, character set and de-identification attributes. */
void apply_identity(DcmItem &ds, const Context &c);
/* What the Secondary Captures tumorscope makes (the overlay images, the
 * Encapsulated PDF report) share: SOP Common with a new instance UID,
 * apply_identity(), a series of their own dated now and the SC Equipment of
 * a workstation-made object. */
void apply_sc_common(DcmItem &ds, const Context &c, const char *sop_class, const char *modality,
                     const std::string &series_uid, int series_number,
                     const char *series_description);
std::string new_uid(const char *root);
/* De-identifies a finished object (PS3.15 Basic Profile, docs/REPORTS.md):
 * every instance UID remapped, every date and time shifted, identifying
 * attributes and private tags removed, then the de-identification
 * attributes stated. */
void deidentify(DcmItem &ds, const Context &c);
/* Saves `ff` atomically to `path` (refusing an existing file unless
 * c.opt.force), de-identified first when c.opt.deidentify. */
void save_atomic(DcmFileFormat &ff, const std::string &path, const Context &c);

/* The display name, colour and coded type of class `label` of result `r`. */
std::string class_display(const Context &c, const tsc_result *r, size_t label);
uint32_t class_color(const Context &c, const tsc_result *r, size_t label);
Code class_code(const Context &c, const tsc_result *r, size_t label);
/* Slices with a tumour verdict and a non-empty mask, in series order. */
std::vector<size_t> tumour_slices(const Context &c);

extern const Code CODE_MORPH_ABNORMAL; /* SEG category */
extern const Code CODE_BRAIN;          /* finding site */

extern const Code CODE_FINDING; /* document and group evaluations */
extern const Code CODE_COMMENT;
extern const char *const DISCLAIMER; /* said in every report */

/* The TID 1500 pieces both measurement reports share (output_sr.cc). */
DSRCodedEntryValue coded(const Code &c);
/* A length, area or volume to two decimals. */
std::string mm(double v);
/* Who edited the result, as a PN (the SR's person observer, the SEG's
 * content creator): the editor, else the host's observer; "" when
 * unedited or de-identified. */
std::string editor_pn(const Context &c);
/* Language, the person observer (an edited result), the device observer, the procedure and an empty image library. */
void start_report(TID1500_MeasurementReport &report, const Context &c);
/* An image library group with one entry per source object of `c`. */
void add_image_library_group(TID1500_MeasurementReport &report, const Context &c);
void finish_image_library(TID1500_MeasurementReport &report);
/* The current measurement group's tracking identifier, a new tracking UID
 * and its finding. */
void identify_group(TID1500_MeasurementReport &report, const std::string &id, const Code &finding);
/* The current measurement group's long and short axis, mm. */
void add_axes(TID1500_MeasurementReport &report, double long_mm, double short_mm);
/* Document-level Finding items, Comment items (the reader's edits), then
 * the disclaimer. */
void add_document_evaluations(TID1500_MeasurementReport &report,
                              const std::vector<std::string> &findings,
                              const std::vector<std::string> &comments = {});
/* The document from `report`: a new series in c's study, our device. */
void start_document(DSRDocument &doc, TID1500_MeasurementReport &report, const Context &c,
                    int series_number, const char *series_description);
/* Completes, stamps c's identity and our own UIDs, saves atomically. */
void save_document(DSRDocument &doc, Context &c, const std::string &path);

void write_seg(Context &c, const std::string &path);
size_t write_sc(Context &c, const std::string &dir);
void write_sr(Context &c, const std::string &path);
void write_pdf(Context &c, const std::string &path);
/* The comparison report: `f` the follow-up (identity applied), `b` the
 * baseline (sources loaded). */
void write_compare_sr(Context &f, const Context &b, const tsc_dicom_comparison &cmp,
                      const std::string &path);

} // namespace tsc_out

#endif
