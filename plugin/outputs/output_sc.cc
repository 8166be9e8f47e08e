/* SPDX-License-Identifier: BSD-3-Clause */
/* Secondary Capture images with the overlay burned in: one per analysed
 * slice with a tumour or inconclusive verdict (every analysed slice when
 * there is none), RGB 8 bit, in the same rendering as the reports. */
#include "output_private.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <cstdio>
#include <cstdlib>

#include "tsc_render.h"

namespace tsc_out {

/* The slices that get an image, in series order. */
static std::vector<size_t> sc_slices(const Context &c)
{
    std::vector<size_t> finding, analysed;
    for (size_t k = 0; k < tsc_series_result_n_slices(c.r); k++) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        if (!r) continue;
        analysed.push_back(k);
        if (tsc_result_get_verdict(r) != TSC_VERDICT_NO_TUMOR) finding.push_back(k);
    }
    return finding.empty() ? analysed : finding;
}

size_t write_sc(Context &c, const std::string &dir)
{
    std::vector<size_t> slices = sc_slices(c);
    std::string series_uid = new_uid(SITE_SERIES_UID_ROOT);
    tsc_overlay_options ov = c.opt.overlay;
    size_t n = 0;
    for (size_t k : slices) {
        const tsc_result *r = tsc_series_result_get_slice(c.r, k);
        uint8_t *rgb = nullptr;
        int w = 0, h = 0;
        tsc_error e;
        tsc_error_clear(&e);
        /* At least 512 px on the short side so that the burned-in text,
         * drawn at a constant size, stays legible next to the anatomy. */
        tsc_status st = tsc_render_slice_rgb(c.model, c.index, c.series, k, r, &ov, 512, &rgb, &w,
                                             &h, &e);
        if (st != TSC_OK) fail(st, "rendering slice " + std::to_string(k) + ": " + e.message);
        std::unique_ptr<uint8_t, void (*)(void *)> pixels(rgb, free);

        DcmFileFormat ff;
        DcmDataset *d = ff.getDataset();
        const SourceImage &s = c.src[k];
        /* A derived display series ("OT"), not an acquisition. */
        apply_sc_common(*d, c, UID_SecondaryCaptureImageStorage, "OT", series_uid,
                        TSC_DICOM_SC_SERIES_NUMBER, "tumorscope overlays (decision support only)");
        /* An unpaired body part makes Laterality (type 2C) not applicable;
         * tumorscope analyses brains, so HEAD when the source does not say. */
        d->putAndInsertString(DCM_BodyPartExamined, *c.se->body_part ? c.se->body_part : "HEAD");
        /* SC Equipment: when it was made (the rest in apply_sc_common). */
        d->putAndInsertString(DCM_DateOfSecondaryCapture, c.content_date.c_str());
        d->putAndInsertString(DCM_TimeOfSecondaryCapture, c.content_time.c_str());
        /* General Image. */
        d->putAndInsertString(DCM_InstanceNumber, std::to_string(n + 1).c_str());
        d->putAndInsertString(DCM_PatientOrientation, "");
        d->putAndInsertString(DCM_ContentDate, c.content_date.c_str());
        d->putAndInsertString(DCM_ContentTime, c.content_time.c_str());
        d->putAndInsertString(DCM_ImageType, "DERIVED\\SECONDARY");
        d->putAndInsertString(DCM_DerivationDescription,
                              "Source slice windowed with its header window, resampled to square "
                              "pixels and annotated by tumorscope (mask, RANO axes, labels)");
        d->putAndInsertString(DCM_BurnedInAnnotation, "YES");
        d->putAndInsertString(DCM_LossyImageCompression, "00");
        d->putAndInsertString(DCM_ImageComments, "Decision support only - not for diagnostic use");
        DcmItem *src = nullptr;
        check(d->findOrCreateSequenceItem(DCM_SourceImageSequence, src, 0), "source image sequence");
        src->putAndInsertString(DCM_ReferencedSOPClassUID, s.sop_class.c_str());
        src->putAndInsertString(DCM_ReferencedSOPInstanceUID, s.sop_instance.c_str());
        if (s.n_frames > 1)
            src->putAndInsertString(DCM_ReferencedFrameNumber, std::to_string(s.frame + 1).c_str());
        /* Image Pixel: RGB, 8 bit, colour-by-pixel. */
        d->putAndInsertUint16(DCM_SamplesPerPixel, 3);
        d->putAndInsertString(DCM_PhotometricInterpretation, "RGB");
        d->putAndInsertUint16(DCM_PlanarConfiguration, 0);
        d->putAndInsertUint16(DCM_Rows, (Uint16)h);
        d->putAndInsertUint16(DCM_Columns, (Uint16)w);
        d->putAndInsertUint16(DCM_BitsAllocated, 8);
        d->putAndInsertUint16(DCM_BitsStored, 8);
        d->putAndInsertUint16(DCM_HighBit, 7);
        d->putAndInsertUint16(DCM_PixelRepresentation, 0);
        check(d->putAndInsertUint8Array(DCM_PixelData, pixels.get(), (unsigned long)w * h * 3),
              "pixel data");

        char name[32];
        snprintf(name, sizeof name, "SC%04zu.dcm", n + 1);
        std::string path = dir + "/" + name;
        save_atomic(ff, path, c);
        c.written.push_back(path);
        n++;
    }
    return n;
}

} // namespace tsc_out
