/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals shared by the readers: read_index.cc, read_decode.cc,
 * read_seg.cc, read_report.cc (C++ only). */
#ifndef TSC_DICOM_READ_PRIVATE_H
#define TSC_DICOM_READ_PRIVATE_H

#include <cstring>
#include <string>
#include <vector>

#include "dcmtk_private.h"
#include "firewall_private.h"
#include "struct_size_private.h"
#include "tsc_dicom.h"

class OFCondition;
class DcmItem;

namespace tsc_dicom_internal {

/* One slice: a single-frame file or one frame of a multi-frame object. */
struct Slice {
    std::string path, sop_instance_uid, transfer_syntax_uid, photometric;
    int frame = 0, n_frames = 1, instance_number = 0;
    int rows = 0, cols = 0, samples_per_pixel = 1, bits_allocated = 16, bits_stored = 16;
    int pixel_representation = 0;
    double pixel_spacing[2] = {0, 0};
    double thickness = 0;
    double position[3] = {0, 0, 0};
    double orientation[6] = {1, 0, 0, 0, 1, 0};
    bool has_position = false, has_orientation = false;
    double location = 0;
    double window_center = 0, window_width = 0;
    double rescale_slope = 1, rescale_intercept = 0;
    /* What can tell apart images acquired at the same position. */
    std::string image_type, acquisition_time, complex_kind, asl_context, contrast_label;
    int echo_number = 0;
    long temporal_position = -1;   /* TemporalPositionIdentifier/Index; -1 absent */
    double echo_time = 0, repetition_time = 0, inversion_time = 0; /* ms */
    double b_value = -1;           /* -1: none */
    double b_dir[3] = {0, 0, 0};
    bool has_b_dir = false;
    /* Siemens MOSAIC: this slice is tile `tile` of a grid x grid mosaic whose
     * stored image is mosaic_rows x mosaic_cols (rows/cols are the tile's). */
    int tile = -1, mosaic_grid = 0, mosaic_rows = 0, mosaic_cols = 0;
    tsc_dicom_slice_info info{};
};

struct Series {
    std::string uid, description, modality, manufacturer, model_name, sequence_name,
        contrast_agent, contrast_label, body_part, frame_of_reference_uid, transfer_syntaxes;
    std::string sop_class_uid, image_type, scanning_sequence, sequence_variant,
        mr_acquisition_type, photometric;
    std::string variant; /* "echo 2 (TE 9.8 ms)", "b = 1000", "phase", ... */
    double max_b_value = -1; /* over every slice of the SeriesInstanceUID */
    int n_mosaic = 0;
    std::string study_key; /* study UID */
    int series_number = 0;
    int part = 0;          /* >0 when split from a mixed series */
    int repeat = 0;        /* >0: volume number of a run repeated at the same positions */
    int variant_no = 0;    /* >0: split by echo, b-value, magnitude/phase, ASL context */
    std::vector<Slice> slices;
    tsc_dicom_series_info info{};
};

struct Study {
    std::string uid, date, time, description, accession, institution, study_id;
    std::string patient_key;
    tsc_dicom_study_info info{};
};

struct Patient {
    std::string key, name, id, birth_date, sex;
    tsc_dicom_patient_info info{};
};

struct Skipped {
    std::string path, reason;
    tsc_status status;
    tsc_dicom_skipped info{};
};

/* A DICOM Segmentation: listed apart from the image series. */
struct SegFrame {
    std::string ref_sop;
    tsc_dicom_seg_frame_info info{};
};

struct SegSegment {
    std::string label, algorithm_type;
    tsc_dicom_segment_info info{};
};

struct Seg {
    std::string path, sop_instance_uid, series_uid, study_uid, referenced_series_uid,
        frame_of_reference_uid, description, segmentation_type, transfer_syntax_uid;
    int bits_allocated = 1;
    std::vector<SegFrame> frames;
    std::vector<SegSegment> segments;
    tsc_dicom_seg_info info{};
};

/* A structured report (read_report.cc). */
struct Report {
    std::string path, sop_instance_uid, series_uid, study_uid, evidence_series, title,
        manufacturer, software, content_date, content_time, finding, completion, verification;
    std::vector<std::string> evidence_series_all; /* every series of its evidence */
    size_t n_groups = 0;
    /* Each measurement group's comment (DCM 121106), in order: ours say the
     * slice's finding, confidences, method and slice number. */
    std::vector<std::string> group_comments;
    bool content_readable = false;
    tsc_dicom_report_info info{};
};

/* Is `sop_class` a structured report storage class? */
bool is_structured_report(const std::string &sop_class);
/* Indexes a structured report from its header and content tree; never
 * fails on the content (a tree DCMTK cannot read leaves content_readable
 * false). */
void read_report(DcmItem *ds, const std::string &path, Report *out);

/* Indexes a Segmentation object (read_seg.cc); `rows`, `cols`, `n_frames`
 * and `bits_allocated` were checked by the caller.  Returns TSC_OK, or a
 * status with *reason saying why it is skipped. */
tsc_status read_segmentation(DcmItem *ds, const std::string &path, const std::string &xfer_uid,
                             int rows, int cols, int n_frames, int bits_allocated, Seg *out,
                             std::string *reason);

/* Once per process: DCMTK logs only fatal errors (its messages may quote
 * patient data) and its JPEG, JPEG-LS and RLE decoders are registered
 * (tsc__dcmtk_codecs). */
void register_codecs();

/* Short file name for messages: the path's last component. */
inline const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}
inline const char *base_name(const std::string &path)
{
    return base_name(path.c_str());
}

/* Is this transfer syntax one we can decode?  When not, *why gets the
 * per-file message ("unsupported transfer syntax JPEG 2000 (1.2...90)"). */
bool transfer_syntax_supported(const std::string &uid, std::string *why);

} // namespace tsc_dicom_internal

struct tsc_dicom_index {
    std::vector<tsc_dicom_internal::Patient> patients;
    std::vector<tsc_dicom_internal::Study> studies;
    std::vector<tsc_dicom_internal::Series> series;
    std::vector<tsc_dicom_internal::Skipped> skipped;
    std::vector<tsc_dicom_internal::Seg> segs;
    std::vector<tsc_dicom_internal::Report> reports;
    size_t n_files = 0;
    uint64_t max_pixel_bytes = 0;
};

namespace tsc_dicom_internal {
/* Points the reports' infos at their strings and names the image series
 * each is about, once every file is indexed (read_report.cc). */
void finish_reports(tsc_dicom_index *ix);
} // namespace tsc_dicom_internal

#endif
