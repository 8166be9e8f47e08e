/* SPDX-License-Identifier: BSD-3-Clause */
/* Indexing DICOM studies from headers only.
 *
 * Each file is parsed with large element values left on disk (maxReadLength),
 * so indexing touches only headers; pixels are decoded later, per slice
 * (read_decode.cc). */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmf.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <utility>

#include "read_index_private.h"

using namespace tsc_dicom_internal;

static const char LOG_DOMAIN[] = "dicom";

namespace tsc_dicom_internal {

static tsc__dcmtk_codecs decoders([] {
    DJDecoderRegistration::cleanup();
    DJLSDecoderRegistration::cleanup();
    DcmRLEDecoderRegistration::cleanup();
});

void register_codecs()
{
    decoders.ensure([] {
        /* Elements stored with VR UN (anonymisers, PACS exports that lost the
         * dictionary) read with their dictionary VR, so that a UN Modality
         * reads "MR" instead of hex bytes.  Only defined-length UN in
         * explicit VR data is affected (undefined-length UN is parsed as
         * implicit VR anyway); this is a DCMTK process-wide setting, for
         * reading only. */
        dcmEnableUnknownVRConversion.set(OFTrue);
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
    });
}

struct XferName {
    const char *uid;
    const char *name;
    bool supported;
};

static const XferName xfer_names[] = {
    {UID_LittleEndianImplicitTransferSyntax, "Implicit VR Little Endian", true},
    {UID_LittleEndianExplicitTransferSyntax, "Explicit VR Little Endian", true},
    {UID_BigEndianExplicitTransferSyntax, "Explicit VR Big Endian", true},
    {UID_DeflatedExplicitVRLittleEndianTransferSyntax, "Deflated Explicit VR Little Endian", true},
    {UID_JPEGProcess1TransferSyntax, "JPEG Baseline", true},
    {UID_JPEGProcess2_4TransferSyntax, "JPEG Extended", true},
    {UID_JPEGProcess6_8TransferSyntax, "JPEG Spectral Selection", true},
    {UID_JPEGProcess10_12TransferSyntax, "JPEG Full Progression", true},
    {UID_JPEGProcess14TransferSyntax, "JPEG Lossless", true},
    {UID_JPEGProcess14SV1TransferSyntax, "JPEG Lossless SV1", true},
    {UID_JPEGLSLosslessTransferSyntax, "JPEG-LS Lossless", true},
    {UID_JPEGLSLossyTransferSyntax, "JPEG-LS Near-Lossless", true},
    {UID_RLELosslessTransferSyntax, "RLE Lossless", true},
    {UID_JPEG2000LosslessOnlyTransferSyntax, "JPEG 2000 Lossless", false},
    {UID_JPEG2000TransferSyntax, "JPEG 2000", false},
    {UID_JPEG2000Part2MulticomponentImageCompressionLosslessOnlyTransferSyntax,
     "JPEG 2000 Part 2 Lossless", false},
    {UID_JPEG2000Part2MulticomponentImageCompressionTransferSyntax, "JPEG 2000 Part 2", false},
    {UID_JPIPReferencedTransferSyntax, "JPIP Referenced", false},
    {UID_JPIPReferencedDeflateTransferSyntax, "JPIP Referenced Deflate", false},
    {UID_MPEG2MainProfileAtMainLevelTransferSyntax, "MPEG-2 Main Profile", false},
    {UID_MPEG2MainProfileAtHighLevelTransferSyntax, "MPEG-2 High Level", false},
    {UID_MPEG4HighProfileLevel4_1TransferSyntax, "MPEG-4 AVC/H.264", false},
    {UID_MPEG4BDcompatibleHighProfileLevel4_1TransferSyntax, "MPEG-4 AVC/H.264 BD", false},
    {UID_HEVCMainProfileLevel5_1TransferSyntax, "HEVC/H.265 Main", false},
    {UID_HEVCMain10ProfileLevel5_1TransferSyntax, "HEVC/H.265 Main 10", false},
};

bool transfer_syntax_supported(const std::string &uid, std::string *why)
{
    for (const XferName &x : xfer_names) {
        if (uid == x.uid) {
            if (!x.supported && why)
                *why = std::string("unsupported transfer syntax ") + x.name + " (" + uid + ")";
            return x.supported;
        }
    }
    if (why) *why = "unsupported transfer syntax " + uid;
    return false;
}

} // namespace tsc_dicom_internal

extern "C" const char *tsc_dicom_transfer_syntax_name(const char *uid)
{
    if (!uid) return "";
    for (const XferName &x : xfer_names)
        if (!strcmp(uid, x.uid)) return x.name;
    return uid;
}

/* ---- one file's header -------------------------------------------------- */

namespace {

/* Loads the header of `path` with large values (pixel data, big private
 * blobs) left on disk. */
tsc_status load_header(const std::string &path, DcmFileFormat &ff, std::string *reason)
{
    tsc_status sn = sniff(path, reason);
    if (sn != TSC_OK) return sn;
    if (nested_too_deep(path)) {
        *reason = DEEP_REASON;
        return TSC_ELIMIT;
    }
    /* Values over 4 KiB (pixel data, big private blobs) stay on disk. */
    OFCondition c = ff.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (c.bad()) {
        std::string t = tsc__condition_text(c);
        if (c == EC_InvalidStream || c == EC_StreamNotifyClient || contains(lower(t), "premature"))
            *reason = "truncated or corrupt DICOM file: " + t;
        else
            *reason = "not a readable DICOM file: " + t;
        return TSC_EFORMAT;
    }
    return TSC_OK;
}

/* An object with pixel data we can read, or why not. */
tsc_status check_pixel_data(DcmItem *ds, const std::string &sop_class, std::string *reason)
{
    if (!ds->tagExists(DCM_PixelData) && !ds->tagExists(DCM_FloatPixelData) &&
        !ds->tagExists(DCM_DoubleFloatPixelData)) {
        const char *name = dcmFindNameOfUID(sop_class.c_str(), nullptr);
        if ((ds->tagExists(DCM_Rows) && ds->tagExists(DCM_Columns)) ||
            dcmIsImageStorageSOPClassUID(sop_class.c_str())) {
            /* An image header that stops before its pixels: a file cut
             * between two elements reads like this. */
            *reason = std::string("no pixel data although the header describes an image (") +
                      (name ? name : sop_class.c_str()) + "); file truncated?";
            return TSC_EFORMAT;
        }
        *reason = std::string("no pixel data (") + (name ? name : sop_class.c_str()) +
                  "); not an image";
        return TSC_EUNSUPPORTED;
    }
    if (!ds->tagExists(DCM_PixelData)) {
        *reason = "float pixel data (parametric map) is not supported";
        return TSC_EUNSUPPORTED;
    }
    return TSC_OK;
}

} // namespace

namespace tsc_dicom_internal {

/* The same instance twice (a study copied twice under one folder): the
 * copy would double every slice into repeated positions.  Of two copies the
 * longer one is kept: a copy cut short (a failed transfer) must not hide the
 * complete one, whichever the folder walk met first.  TSC_EEXIST when `path`
 * is the copy to skip. */
tsc_status Indexer::keep_longer_copy(const std::string &sop_uid, const std::string &path,
                                     std::string *reason)
{
    auto dup = sop_paths.find(sop_uid);
    if (dup == sop_paths.end()) return TSC_OK;
    struct stat a, b;
    bool longer = stat(path.c_str(), &a) == 0 && stat(dup->second.c_str(), &b) == 0 &&
                  a.st_size > b.st_size;
    if (!longer || dup->second == path) {
        *reason = "duplicate of " + dup->second + " (same SOPInstanceUID)";
        return TSC_EEXIST;
    }
    std::string old_path = dup->second;
    for (auto &kv : series) {
        auto &v = kv.second.slices;
        v.erase(std::remove_if(v.begin(), v.end(),
                               [&](const Slice &sl) { return sl.path == old_path; }),
                v.end());
    }
    for (auto it = series.begin(); it != series.end();)
        it = it->second.slices.empty() ? series.erase(it) : std::next(it);
    Skipped sk;
    sk.path = old_path;
    sk.reason = "duplicate of " + path + " (same SOPInstanceUID; this copy is shorter)";
    sk.status = TSC_EEXIST;
    index->skipped.push_back(std::move(sk));
    sop_paths.erase(dup);
    return TSC_OK;
}

/* The object's patient and study, added when new; returns the study key. */
std::string Indexer::add_patient_study(DcmItem *ds)
{
    std::string patient_id = get_string(ds, DCM_PatientID);
    std::string patient_name = get_string(ds, DCM_PatientName);
    std::string patient_key = patient_id + '\x1f' + patient_name;
    Patient &p = patients[patient_key];
    if (p.key.empty()) {
        p.key = patient_key;
        p.name = patient_name;
        p.id = patient_id;
        p.birth_date = get_string(ds, DCM_PatientBirthDate);
        p.sex = get_string(ds, DCM_PatientSex);
    }
    std::string study_uid = get_string(ds, DCM_StudyInstanceUID);
    if (study_uid.empty()) study_uid = "(no StudyInstanceUID) " + patient_key;
    Study &st = studies[study_uid];
    if (st.uid.empty()) {
        st.uid = study_uid;
        st.patient_key = patient_key;
        st.date = get_string(ds, DCM_StudyDate);
        st.time = get_string(ds, DCM_StudyTime);
        st.description = get_string(ds, DCM_StudyDescription);
        st.accession = get_string(ds, DCM_AccessionNumber);
        st.institution = get_string(ds, DCM_InstitutionName);
        st.study_id = get_string(ds, DCM_StudyID);
    }
    return study_uid;
}

/* The series slice `s` belongs to: sizes and orientation must agree within
 * a series, so they are part of its key.  Filled in when new. */
Series &Indexer::series_of(DcmItem *ds, const Slice &s, const std::string &series_uid,
                           const std::string &study_uid, const std::string &sop_class,
                           int n_mosaic)
{
    char key[160];
    snprintf(key, sizeof key, "|%dx%d|%.3f,%.3f,%.3f,%.3f,%.3f,%.3f|%d", s.rows, s.cols,
             s.orientation[0], s.orientation[1], s.orientation[2], s.orientation[3],
             s.orientation[4], s.orientation[5], s.samples_per_pixel);
    Series &se = series[series_uid + key];
    if (se.uid.empty()) {
        se.uid = series_uid;
        se.study_key = study_uid;
        se.description = get_string(ds, DCM_SeriesDescription);
        se.modality = get_string(ds, DCM_Modality);
        se.manufacturer = get_string(ds, DCM_Manufacturer);
        se.model_name = get_string(ds, DCM_ManufacturerModelName);
        se.sequence_name = get_string(ds, DCM_SequenceName);
        if (se.sequence_name.empty()) se.sequence_name = get_string(ds, DCM_PulseSequenceName);
        se.contrast_agent = get_string(ds, DCM_ContrastBolusAgent);
        se.body_part = get_string(ds, DCM_BodyPartExamined);
        se.frame_of_reference_uid = get_string(ds, DCM_FrameOfReferenceUID);
        se.series_number = (int)get_long(ds, DCM_SeriesNumber, 0);
        se.sop_class_uid = sop_class;
        se.scanning_sequence = get_string(ds, DCM_ScanningSequence);
        se.sequence_variant = get_string(ds, DCM_SequenceVariant);
        se.mr_acquisition_type = get_string(ds, DCM_MRAcquisitionType);
        se.photometric = s.photometric;
        se.n_mosaic = n_mosaic;
    }
    return se;
}

/* One slice per frame (or per mosaic tile) of the object, each into its
 * series. */
void Indexer::add_slices(DcmItem *ds, const Slice &base, const std::string &sop_class)
{
    std::string study_uid = add_patient_study(ds);
    std::string series_uid = get_string(ds, DCM_SeriesInstanceUID);
    if (series_uid.empty()) series_uid = "(no SeriesInstanceUID) " + study_uid;

    DcmItem *shared = first_item(ds, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems *per_frame = nullptr;
    ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame);

    int n_mosaic = mosaic_count(ds, base.image_type);
    /* A Siemens MOSAIC holds its slices as tiles of a grid x grid image
     * (grid = ceil(sqrt(n))): each tile becomes a slice. */
    std::vector<Slice> tiles;
    if (n_mosaic > 1 && has_value(base.image_type, "MOSAIC") && base.n_frames == 1 &&
        !shared && !per_frame)
        tiles = mosaic_tiles(ds, base, n_mosaic);

    int n_items = tiles.empty() ? base.n_frames : (int)tiles.size();
    for (int f = 0; f < n_items; f++) {
        Slice s = tiles.empty() ? base : tiles[(size_t)f];
        s.frame = tiles.empty() ? f : 0;
        if (shared || per_frame) {
            DcmItem *fi = per_frame && (unsigned long)f < per_frame->card()
                              ? per_frame->getItem((unsigned long)f)
                              : nullptr;
            frame_geometry(shared, fi, s);
            frame_acquisition(shared, fi, s);
            if (!fi && base.n_frames > 1) s.instance_number = f + 1;
        } else if (base.n_frames > 1) {
            /* Legacy multi-frame without functional groups: frames share one
             * position; order them by frame number. */
            s.has_position = false;
            s.instance_number = f + 1;
        }
        normalise_orientation(s);
        Series &se = series_of(ds, s, series_uid, study_uid, sop_class, n_mosaic);
        s.contrast_label = contrast_label(ds, s, se.description, se.sequence_name, se.contrast_agent);
        if (s.b_value >= 0) {
            auto mb = max_b.emplace(series_uid, s.b_value).first;
            if (s.b_value > mb->second) mb->second = s.b_value;
        }
        se.slices.push_back(std::move(s));
    }
}

tsc_status Indexer::read_file(const std::string &path, std::string *reason)
{
    DcmFileFormat ff;
    tsc_status st = load_header(path, ff, reason);
    if (st != TSC_OK) return st;
    DcmDataset *ds = ff.getDataset();
    DcmMetaInfo *meta = ff.getMetaInfo();
    std::string sop_class = get_string(ds, DCM_SOPClassUID);
    if (sop_class.empty()) sop_class = get_string(meta, DCM_MediaStorageSOPClassUID);
    std::string sop_uid = get_string(ds, DCM_SOPInstanceUID);
    bool has_meta = meta && meta->card() > 0;
    if (!has_meta && sop_class.empty() && sop_uid.empty()) {
        *reason = "not a DICOM file (no DICOM header found)";
        return TSC_EFORMAT;
    }
    if (sop_class == UID_MediaStorageDirectoryStorage) {
        *reason = "a DICOMDIR (media directory); open it directly to use its index";
        return TSC_EUNSUPPORTED;
    }
    if (!sop_uid.empty() && (st = keep_longer_copy(sop_uid, path, reason)) != TSC_OK) return st;
    /* Structured reports are results, not images: listed apart (tsc_dicom.h). */
    if (is_structured_report(sop_class)) {
        (void)ds->convertToUTF8(); /* texts as UTF-8; raw bytes kept otherwise */
        Report r;
        read_report(ds, path, &r);
        index->reports.push_back(std::move(r));
        if (!sop_uid.empty()) sop_paths.emplace(sop_uid, path);
        return TSC_OK;
    }
    if ((st = check_pixel_data(ds, sop_class, reason)) != TSC_OK) return st;

    DcmXfer xfer(ds->getOriginalXfer());
    std::string xfer_uid = xfer.getXferID() ? xfer.getXferID() : "";
    std::string why;
    if (!transfer_syntax_supported(xfer_uid, &why)) {
        *reason = why;
        return TSC_EUNSUPPORTED;
    }

    if (ds->convertToUTF8().bad()) {
        /* Keep the raw bytes; the names may show odd characters but the
         * images are still usable. */
        tsc_log(TSC_LOG_WARNING, LOG_DOMAIN,
                "a file's SpecificCharacterSet could not be converted to UTF-8; texts kept as is");
    }

    Slice base;
    base.path = path;
    base.sop_instance_uid = sop_uid;
    base.transfer_syntax_uid = xfer_uid;
    st = read_image_header(ds, xfer, path, params->max_pixel_bytes, &base, reason);
    if (st != TSC_OK) return st;

    /* Segmentations are results, not images: listed apart (tsc_dicom.h). */
    if (sop_class == UID_SegmentationStorage) {
        Seg g;
        st = read_segmentation(ds, path, xfer_uid, base.rows, base.cols, base.n_frames,
                               base.bits_allocated, &g, reason);
        if (st != TSC_OK) return st;
        index->segs.push_back(std::move(g));
        if (!sop_uid.empty()) sop_paths.emplace(sop_uid, path);
        return TSC_OK;
    }

    read_acquisition(ds, &base);
    add_slices(ds, base, sop_class);
    if (!sop_uid.empty()) sop_paths.emplace(sop_uid, path);
    return TSC_OK;
}

} // namespace tsc_dicom_internal

/* ---- the C API ---------------------------------------------------------- */

extern "C" tsc_dicom_open_params tsc_dicom_default_open_params(void)
{
    tsc_dicom_open_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.recursive = 1;
    p.max_pixel_bytes = (uint64_t)1 << 30;
    p.max_files = 200000;
    return p;
}

static void build_infos(tsc_dicom_index *ix)
{
    for (Patient &p : ix->patients)
        p.info = {p.name.c_str(), p.id.c_str(), p.birth_date.c_str(), p.sex.c_str()};
    for (Study &s : ix->studies) {
        size_t pi = 0;
        for (size_t i = 0; i < ix->patients.size(); i++)
            if (ix->patients[i].key == s.patient_key) pi = i;
        s.info = {pi,
                  s.uid.c_str(),
                  s.date.c_str(),
                  s.time.c_str(),
                  s.description.c_str(),
                  s.accession.c_str(),
                  s.institution.c_str(),
                  s.study_id.c_str()};
    }
    for (Series &se : ix->series) {
        tsc_dicom_series_info &in = se.info;
        for (size_t i = 0; i < ix->studies.size(); i++)
            if (ix->studies[i].uid == se.study_key) in.study = i;
        in.series_uid = se.uid.c_str();
        in.description = se.description.c_str();
        in.modality = se.modality.c_str();
        in.manufacturer = se.manufacturer.c_str();
        in.model_name = se.model_name.c_str();
        in.sequence_name = se.sequence_name.c_str();
        in.contrast_agent = se.contrast_agent.c_str();
        in.body_part = se.body_part.c_str();
        in.frame_of_reference_uid = se.frame_of_reference_uid.c_str();
        in.transfer_syntaxes = se.transfer_syntaxes.c_str();
        in.series_number = se.series_number;
        in.n_slices = se.slices.size();
        const Slice &f = se.slices[0];
        in.rows = f.rows;
        in.cols = f.cols;
        in.pixel_spacing[0] = f.pixel_spacing[0];
        in.pixel_spacing[1] = f.pixel_spacing[1];
        in.slice_thickness = f.thickness;
        memcpy(in.orientation, f.orientation, sizeof in.orientation);
        se.image_type = f.image_type;
        se.contrast_label = f.contrast_label;
        in.contrast_label = se.contrast_label.c_str();
        in.sop_class_uid = se.sop_class_uid.c_str();
        in.image_type = se.image_type.c_str();
        in.scanning_sequence = se.scanning_sequence.c_str();
        in.sequence_variant = se.sequence_variant.c_str();
        in.mr_acquisition_type = se.mr_acquisition_type.c_str();
        in.photometric = se.photometric.c_str();
        in.samples_per_pixel = f.samples_per_pixel;
        in.max_b_value = se.max_b_value;
        in.n_mosaic = se.n_mosaic;
        in.echo_time = f.echo_time;
        in.repetition_time = f.repetition_time;
        in.inversion_time = f.inversion_time;
        in.variant = se.variant.c_str();
        for (Slice &s : se.slices) {
            tsc_dicom_slice_info &si = s.info;
            si.path = s.path.c_str();
            si.sop_instance_uid = s.sop_instance_uid.c_str();
            si.transfer_syntax_uid = s.transfer_syntax_uid.c_str();
            si.frame = s.frame;
            si.n_frames = s.n_frames;
            si.instance_number = s.instance_number;
            si.rows = s.rows;
            si.cols = s.cols;
            memcpy(si.pixel_spacing, s.pixel_spacing, sizeof si.pixel_spacing);
            memcpy(si.position, s.position, sizeof si.position);
            memcpy(si.orientation, s.orientation, sizeof si.orientation);
            si.has_geometry = s.has_position && s.has_orientation;
            si.location = s.location;
            si.window_center = s.window_center;
            si.window_width = s.window_width;
        }
    }
    for (Skipped &s : ix->skipped) s.info = {s.path.c_str(), s.reason.c_str(), s.status};
    for (Seg &g : ix->segs) {
        tsc_dicom_seg_info &in = g.info;
        in.path = g.path.c_str();
        in.sop_instance_uid = g.sop_instance_uid.c_str();
        in.series_uid = g.series_uid.c_str();
        in.study_uid = g.study_uid.c_str();
        in.referenced_series_uid = g.referenced_series_uid.c_str();
        in.frame_of_reference_uid = g.frame_of_reference_uid.c_str();
        in.description = g.description.c_str();
        in.segmentation_type = g.segmentation_type.c_str();
        in.n_frames = g.frames.size();
        in.n_segments = g.segments.size();
        for (SegSegment &s : g.segments) {
            s.info.label = s.label.c_str();
            s.info.algorithm_type = s.algorithm_type.c_str();
        }
        for (SegFrame &f : g.frames) f.info.referenced_sop_instance_uid = f.ref_sop.c_str();
    }
    finish_reports(ix);
}

/* Where the entry whose `key` member is `value` stands in `v`; v.size() when
 * none does (it then sorts last). */
template <typename T>
static size_t rank_of(const std::vector<T> &v, std::string T::*key, const std::string &value)
{
    for (size_t i = 0; i < v.size(); i++)
        if (v[i].*key == value) return i;
    return v.size();
}

static tsc_status open_impl(const char *const *paths, size_t n_paths,
                            const tsc_dicom_open_params *params, tsc_dicom_index **out,
                            tsc_error *err)
{
    register_codecs();
    tsc_dicom_index *ix = new tsc_dicom_index();
    /* Owned here until returned, so that an exception thrown while opening
     * does not leak it. */
    std::unique_ptr<tsc_dicom_index> owner(ix);
    ix->max_pixel_bytes = params->max_pixel_bytes;
    Walker w;
    w.params = params;
    w.index = ix;
    for (size_t i = 0; i < n_paths; i++) {
        std::string path = paths[i];
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        struct stat st;
        if (stat(path.c_str(), &st) != 0) {
            w.skip(path, TSC_ENOTFOUND, std::string("cannot open: ") + strerror(errno));
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            w.walk(path, 0);
        } else {
            const char *name = strrchr(path.c_str(), '/');
            name = name ? name + 1 : path.c_str();
            if (strcasecmp(name, "DICOMDIR") != 0 && !is_dicomdir_file(path)) {
                w.add_file(path);
            } else {
                try {
                    w.read_dicomdir(path);
                } catch (const std::bad_alloc &) {
                    throw;
                } catch (const std::exception &e) {
                    /* DCMTK 3.6.7 throws std::out_of_range from
                     * DcmByteString::verify on some malformed directory records. */
                    w.skip(path, TSC_EFORMAT, std::string("cannot read DICOMDIR: ") + e.what());
                }
            }
        }
    }

    Indexer ixr;
    ixr.index = ix;
    ixr.params = params;
    size_t total = w.files.size();
    for (size_t i = 0; i < total; i++) {
        if (params->cancel && params->cancel(params->cancel_data))
            return tsc_error_set(err, TSC_ECANCELLED, "opening was cancelled");
        std::string reason;
        tsc_status st = TSC_OK;
        try {
            st = ixr.read_file(w.files[i], &reason);
        } catch (const std::bad_alloc &) {
            st = TSC_ENOMEM;
            reason = "out of memory while reading the header";
        } catch (const std::exception &e) {
            /* DCMTK throws on some malformed files (see read_dicomdir above);
             * such a file is skipped like any unreadable one. */
            st = TSC_EFORMAT;
            reason = std::string("not a readable DICOM file: ") + e.what();
        }
        if (st != TSC_OK) {
            w.skip(w.files[i], st, reason);
            /* The duplicate's reason names another file's path, which may
             * hold a patient's name: logs never quote it. */
            tsc_log(TSC_LOG_INFO, LOG_DOMAIN, "file %zu of %zu skipped: %s", i + 1, total,
                    st == TSC_EEXIST ? "duplicate SOPInstanceUID" : reason.c_str());
        }
        if (params->progress) params->progress(i + 1, total, params->progress_data);
    }
    ix->n_files = total;

    /* Patients, studies and series in a stable, meaningful order. */
    for (auto &kv : ixr.patients) ix->patients.push_back(std::move(kv.second));
    std::sort(ix->patients.begin(), ix->patients.end(),
              [](const Patient &a, const Patient &b) {
                  return a.name != b.name ? a.name < b.name : a.id < b.id;
              });
    for (auto &kv : ixr.studies) ix->studies.push_back(std::move(kv.second));
    std::sort(ix->studies.begin(), ix->studies.end(), [&](const Study &a, const Study &b) {
        size_t pa = rank_of(ix->patients, &Patient::key, a.patient_key),
               pb = rank_of(ix->patients, &Patient::key, b.patient_key);
        if (pa != pb) return pa < pb;
        if (a.date != b.date) return a.date < b.date;
        if (a.time != b.time) return a.time < b.time;
        return a.uid < b.uid;
    });
    for (auto &kv : ixr.series) {
        auto mb = ixr.max_b.find(kv.second.uid);
        if (mb != ixr.max_b.end()) kv.second.max_b_value = mb->second;
    }
    /* Repeated positions: first split what differs (echo, b-value, ...),
     * then one series entry per repetition of what remains. */
    std::map<std::string, Series> expanded;
    for (auto &kv : ixr.series) {
        std::vector<Variant> variants = split_variants(kv.second.slices);
        if (variants.empty()) variants.push_back({std::string(), std::move(kv.second.slices)});
        for (size_t vi = 0; vi < variants.size(); vi++) {
            Variant &var = variants[vi];
            std::string kind;
            std::vector<std::vector<Slice>> volumes = split_repeats(var.slices, &kind);
            if (volumes.empty()) volumes.push_back(std::move(var.slices));
            for (size_t t = 0; t < volumes.size(); t++) {
                Series se = kv.second;
                se.slices = std::move(volumes[t]);
                se.variant = var.label;
                se.variant_no = var.label.empty() ? 0 : (int)vi + 1;
                if (volumes.size() > 1) {
                    char what[96];
                    snprintf(what, sizeof what, "%s %zu of %zu", kind.c_str(), t + 1, volumes.size());
                    if (!se.variant.empty()) se.variant += ", ";
                    se.variant += what;
                    se.repeat = (int)t + 1;
                }
                if (!se.variant.empty()) se.description += " (" + se.variant + ")";
                char key[48];
                snprintf(key, sizeof key, "|v%04zu|t%06zu", vi, t);
                expanded[kv.first + key] = std::move(se);
            }
        }
    }
    ixr.series.swap(expanded);
    std::map<std::string, int> parts;
    auto part_key = [](const Series &se) {
        return se.uid + "|" + std::to_string(se.variant_no) + "|" + std::to_string(se.repeat);
    };
    for (auto &kv : ixr.series) parts[part_key(kv.second)]++;
    std::map<std::string, int> part_no;
    for (auto &kv : ixr.series) {
        Series se = std::move(kv.second);
        std::string pkey = part_key(se);
        if (parts[pkey] > 1) {
            se.part = ++part_no[pkey];
            char suffix[64];
            snprintf(suffix, sizeof suffix, " (part %d of %d: mixed sizes or orientations)",
                     se.part, parts[pkey]);
            se.description += suffix;
        }
        finish_series(se);
        ix->series.push_back(std::move(se));
    }
    std::stable_sort(ix->series.begin(), ix->series.end(), [&](const Series &a, const Series &b) {
        size_t sa = rank_of(ix->studies, &Study::uid, a.study_key),
               sb = rank_of(ix->studies, &Study::uid, b.study_key);
        if (sa != sb) return sa < sb;
        if (a.series_number != b.series_number) return a.series_number < b.series_number;
        if (a.uid != b.uid) return a.uid < b.uid;
        if (a.variant_no != b.variant_no) return a.variant_no < b.variant_no;
        if (a.repeat != b.repeat) return a.repeat < b.repeat;
        return a.part < b.part;
    });
    build_infos(ix);
    *out = owner.release();
    if (ix->series.empty()) {
        if (!ix->segs.empty())
            return tsc_error_set(err, TSC_ENOTFOUND,
                                 "no image series found, only %zu segmentation(s); open the images "
                                 "they belong to with them",
                                 ix->segs.size());
        if (ix->skipped.empty())
            return tsc_error_set(err, TSC_ENOTFOUND, "no files found");
        return tsc_error_set(err, TSC_ENOTFOUND,
                             "no readable DICOM image found (%zu file(s) skipped; first: %s: %s)",
                             ix->skipped.size(), ix->skipped[0].path.c_str(),
                             ix->skipped[0].reason.c_str());
    }
    return TSC_OK;
}

extern "C" tsc_status tsc_dicom_open(const char *const *paths, size_t n_paths,
                                     const tsc_dicom_open_params *params, tsc_dicom_index **out,
                                     tsc_error *err)
{
    TSC_ASSERT(out != nullptr);
    TSC_ASSERT(paths != nullptr || n_paths == 0);
    *out = nullptr;
    tsc_error_clear(err);
    tsc_dicom_open_params p = tsc_dicom_default_open_params();
    if (params) {
        TSC__PARAMS_COPY(&p, params);
        if (!p.max_pixel_bytes) p.max_pixel_bytes = tsc_dicom_default_open_params().max_pixel_bytes;
        if (!p.max_files) p.max_files = tsc_dicom_default_open_params().max_files;
    }
    TSC__API_IMPL_BEGIN
        return open_impl(paths, n_paths, &p, out, err);
    TSC__API_IMPL_END(err, "indexing the study")
}

extern "C" void tsc_dicom_index_free(tsc_dicom_index *index)
{
    delete index;
}

extern "C" size_t tsc_dicom_n_patients(const tsc_dicom_index *ix) { return ix->patients.size(); }
extern "C" size_t tsc_dicom_n_studies(const tsc_dicom_index *ix) { return ix->studies.size(); }
extern "C" size_t tsc_dicom_n_series(const tsc_dicom_index *ix) { return ix->series.size(); }
extern "C" size_t tsc_dicom_n_skipped(const tsc_dicom_index *ix) { return ix->skipped.size(); }
extern "C" size_t tsc_dicom_n_files(const tsc_dicom_index *ix) { return ix->n_files; }

extern "C" const tsc_dicom_patient_info *tsc_dicom_get_patient(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->patients.size());
    return &ix->patients[i].info;
}

extern "C" const tsc_dicom_study_info *tsc_dicom_get_study(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->studies.size());
    return &ix->studies[i].info;
}

extern "C" const tsc_dicom_series_info *tsc_dicom_get_series(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->series.size());
    return &ix->series[i].info;
}

extern "C" const tsc_dicom_slice_info *tsc_dicom_get_slice(const tsc_dicom_index *ix,
                                                           size_t series, size_t slice)
{
    TSC_ASSERT(series < ix->series.size());
    TSC_ASSERT(slice < ix->series[series].slices.size());
    return &ix->series[series].slices[slice].info;
}

extern "C" const tsc_dicom_skipped *tsc_dicom_get_skipped(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->skipped.size());
    return &ix->skipped[i].info;
}
