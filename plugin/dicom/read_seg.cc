/* SPDX-License-Identifier: BSD-3-Clause */
/* DICOM Segmentation objects: indexed apart from the image series (see
 * tsc_dicom.h), one frame decoded to a byte mask on demand.
 *
 * Binary SEG pixel data is 1 bit per pixel, least significant bit first
 * (PS3.5 8.1.1), with the frames packed back to back: a frame whose pixel
 * count is not a multiple of 8 starts inside a byte.  Only the bytes of the
 * requested frame are read from disk. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cmath>
#include <cstring>
#include <new>

#include "read_index_private.h"

using namespace tsc_dicom_internal;

namespace tsc_dicom_internal {

tsc_status read_segmentation(DcmItem *ds, const std::string &path, const std::string &xfer_uid,
                             int rows, int cols, int n_frames, int bits_allocated, Seg *out,
                             std::string *reason)
{
    Seg &g = *out;
    g.path = path;
    g.transfer_syntax_uid = xfer_uid;
    g.bits_allocated = bits_allocated;
    g.sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
    g.series_uid = get_string(ds, DCM_SeriesInstanceUID);
    g.study_uid = get_string(ds, DCM_StudyInstanceUID);
    g.frame_of_reference_uid = get_string(ds, DCM_FrameOfReferenceUID);
    g.description = get_string(ds, DCM_SeriesDescription);
    g.segmentation_type = get_string(ds, DCM_SegmentationType);
    g.referenced_series_uid =
        get_string(first_item(ds, DCM_ReferencedSeriesSequence), DCM_SeriesInstanceUID);
    int max_fractional = 1;
    if (g.segmentation_type == "FRACTIONAL") {
        max_fractional = (int)get_long(ds, DCM_MaximumFractionalValue, 255);
        if (bits_allocated != 8) {
            *reason = "fractional segmentation with BitsAllocated " + std::to_string(bits_allocated) +
                      " (the standard requires 8); not read";
            return TSC_EFORMAT;
        }
    } else if (bits_allocated != 1) {
        *reason = "binary segmentation with BitsAllocated " + std::to_string(bits_allocated) +
                  " (the standard requires 1); not read";
        return TSC_EFORMAT;
    }

    tsc_dicom_seg_info &in = g.info;
    in.rows = rows;
    in.cols = cols;
    in.max_fractional_value = max_fractional;
    DcmItem *shared = first_item(ds, DCM_SharedFunctionalGroupsSequence);
    if (DcmItem *pm = first_item(shared, DCM_PixelMeasuresSequence))
        get_doubles(pm, DCM_PixelSpacing, in.pixel_spacing, 2);
    if (DcmItem *po = first_item(shared, DCM_PlaneOrientationSequence))
        in.has_orientation = get_doubles(po, DCM_ImageOrientationPatient, in.orientation, 6);

    DcmSequenceOfItems *segs = nullptr;
    if (ds->findAndGetSequence(DCM_SegmentSequence, segs).good() && segs) {
        for (unsigned long i = 0; i < segs->card(); i++) {
            DcmItem *it = segs->getItem(i);
            SegSegment s;
            s.info.number = (int)get_long(it, DCM_SegmentNumber, (long)i + 1);
            s.label = get_string(it, DCM_SegmentLabel);
            s.algorithm_type = get_string(it, DCM_SegmentAlgorithmType);
            g.segments.push_back(std::move(s));
        }
    }
    DcmSequenceOfItems *per_frame = nullptr;
    ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame);
    for (int f = 0; f < n_frames; f++) {
        SegFrame fr;
        DcmItem *groups[2] = {shared, per_frame && (unsigned long)f < per_frame->card()
                                          ? per_frame->getItem((unsigned long)f)
                                          : nullptr};
        for (DcmItem *grp : groups) {
            if (!grp) continue;
            if (DcmItem *si = first_item(grp, DCM_SegmentIdentificationSequence))
                fr.info.segment_number = (int)get_long(si, DCM_ReferencedSegmentNumber, 0);
            if (DcmItem *pp = first_item(grp, DCM_PlanePositionSequence))
                if (get_doubles(pp, DCM_ImagePositionPatient, fr.info.position, 3))
                    fr.info.has_position = 1;
            if (DcmItem *src = first_item(first_item(grp, DCM_DerivationImageSequence),
                                          DCM_SourceImageSequence)) {
                fr.ref_sop = get_string(src, DCM_ReferencedSOPInstanceUID);
                fr.info.referenced_frame = (int)get_long(src, DCM_ReferencedFrameNumber, 0);
            }
        }
        g.frames.push_back(std::move(fr));
    }
    return TSC_OK;
}

} // namespace tsc_dicom_internal

static tsc_status decode_seg_impl(const tsc_dicom_index *ix, const Seg &g, size_t frame, uint8_t *mask,
                                  tsc_error *err)
{
    const char *name = base_name(g.path);
    const uint64_t n = (uint64_t)g.info.rows * (uint64_t)g.info.cols;
    DcmFileFormat ff;
    /* The pixel data stays on disk; only the frame's bytes are read. */
    OFCondition c = ff.loadFile(g.path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (c.bad())
        return tsc_error_set(err, TSC_EIO, "file %s: cannot be read any more (%s)", name,
                             tsc__condition_text(c).c_str());
    DcmDataset *ds = ff.getDataset();
    if (DcmXfer(ds->getOriginalXfer()).isEncapsulated())
        return tsc_error_set(err, TSC_EUNSUPPORTED,
                             "file %s: compressed segmentation frames (%s) are not supported; "
                             "decompress it (dcmdrle/dcmdjpeg) to read it",
                             name, tsc_dicom_transfer_syntax_name(g.transfer_syntax_uid.c_str()));
    DcmElement *px = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, px).bad() || !px)
        return tsc_error_set(err, TSC_EFORMAT, "file %s: the segmentation has no pixel data", name);
    const uint64_t total = px->getLength();
    if (g.bits_allocated == 1) {
        uint64_t first_bit = (uint64_t)frame * n, last_bit = first_bit + n; /* exclusive */
        uint64_t first_byte = first_bit / 8, end_byte = (last_bit + 7) / 8;
        if (end_byte > total)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "file %s: segmentation frame %zu lies past the end of the pixel "
                                 "data; file truncated?", name, frame + 1);
        std::vector<Uint8> bytes((size_t)(end_byte - first_byte));
        if (px->getPartialValue(bytes.data(), (Uint32)first_byte, (Uint32)bytes.size()).bad())
            return tsc_error_set(err, TSC_EIO, "file %s: segmentation frame %zu cannot be read", name,
                                 frame + 1);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t bit = first_bit + i - first_byte * 8;
            mask[i] = (uint8_t)((bytes[(size_t)(bit >> 3)] >> (bit & 7)) & 1u);
        }
    } else {
        uint64_t first = (uint64_t)frame * n;
        if (first + n > total)
            return tsc_error_set(err, TSC_EFORMAT,
                                 "file %s: segmentation frame %zu lies past the end of the pixel "
                                 "data; file truncated?", name, frame + 1);
        if (px->getPartialValue(mask, (Uint32)first, (Uint32)n).bad())
            return tsc_error_set(err, TSC_EIO, "file %s: segmentation frame %zu cannot be read", name,
                                 frame + 1);
    }
    (void)ix;
    return TSC_OK;
}

extern "C" size_t tsc_dicom_n_segmentations(const tsc_dicom_index *ix) { return ix->segs.size(); }

extern "C" const tsc_dicom_seg_info *tsc_dicom_get_segmentation(const tsc_dicom_index *ix, size_t i)
{
    TSC_ASSERT(i < ix->segs.size());
    return &ix->segs[i].info;
}

extern "C" const tsc_dicom_segment_info *tsc_dicom_get_segment(const tsc_dicom_index *ix, size_t seg,
                                                               size_t k)
{
    TSC_ASSERT(seg < ix->segs.size());
    TSC_ASSERT(k < ix->segs[seg].segments.size());
    return &ix->segs[seg].segments[k].info;
}

extern "C" const tsc_dicom_seg_frame_info *tsc_dicom_get_seg_frame(const tsc_dicom_index *ix,
                                                                   size_t seg, size_t frame)
{
    TSC_ASSERT(seg < ix->segs.size());
    TSC_ASSERT(frame < ix->segs[seg].frames.size());
    return &ix->segs[seg].frames[frame].info;
}

extern "C" tsc_status tsc_dicom_decode_seg_frame(const tsc_dicom_index *ix, size_t seg,
                                                 size_t frame, uint8_t *mask, tsc_error *err)
{
    TSC_ASSERT(ix && mask);
    TSC_ASSERT(seg < ix->segs.size());
    TSC_ASSERT(frame < ix->segs[seg].frames.size());
    tsc_error_clear(err);
    register_codecs();
    TSC__API_IMPL_BEGIN
        return decode_seg_impl(ix, ix->segs[seg], frame, mask, err);
    TSC__API_IMPL_END(err, "decoding segmentation %zu frame %zu", seg, frame)
}
