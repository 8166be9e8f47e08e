/* SPDX-License-Identifier: BSD-3-Clause */
/* Decoding one slice's pixels to float32, on demand.
 *
 * DCMTK decompresses and unpacks the stored values (BitsStored, sign,
 * planar configuration, colour models); the Modality LUT is applied here so
 * that per-frame rescale values of enhanced multi-frame objects are honoured
 * too. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimgle/dcmimage.h>
#include <dcmtk/dcmimgle/dipixel.h>
/* Registers colour support (DiRegister) with dcmimgle. */
#include <dcmtk/dcmimage/diregist.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "read_private.h"

using namespace tsc_dicom_internal;

namespace {

template <typename T>
void convert(const void *data, size_t n, double slope, double intercept, float *out)
{
    const T *p = static_cast<const T *>(data);
    for (size_t i = 0; i < n; i++) out[i] = (float)((double)p[i] * slope + intercept);
}

/* Uncompressed grayscale with the usual bit layout: unpack the stored values
 * ourselves instead of building a DicomImage (which computes LUTs and
 * statistics we do not need).  Returns false when the layout is unusual, so
 * the caller falls back to DCMTK's image pipeline. */
bool decode_native(DcmDataset *ds, const Slice &s, bool big_endian, float *out, tsc_status *st,
                   std::string *why)
{
    int high_bit = (int)s.bits_stored - 1;
    Uint16 hb = 0;
    if (ds->findAndGetUint16(DCM_HighBit, hb).good()) high_bit = hb;
    if (s.samples_per_pixel != 1 || high_bit != s.bits_stored - 1 ||
        (s.bits_allocated != 8 && s.bits_allocated != 16 && s.bits_allocated != 32))
        return false;
    DcmElement *px = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, px).bad() || !px) return false;
    size_t n = (size_t)s.rows * (size_t)s.cols;
    size_t bytes = s.bits_allocated / 8;
    uint64_t need = (uint64_t)(s.frame + 1) * n * bytes;
    if ((uint64_t)px->getLength() < need) {
        *st = TSC_EFORMAT;
        *why = "pixel data shorter than declared";
        return true;
    }
    const uint32_t mask = s.bits_stored >= 32 ? 0xffffffffu : ((1u << s.bits_stored) - 1u);
    const uint32_t sign = 1u << (s.bits_stored - 1);
    const bool is_signed = s.pixel_representation == 1;
    const double slope = s.rescale_slope == 0 || !std::isfinite(s.rescale_slope) ? 1 : s.rescale_slope;
    const double icpt = std::isfinite(s.rescale_intercept) ? s.rescale_intercept : 0;
    const size_t first = (size_t)s.frame * n;
    /* A stored value to the modality value: masked to BitsStored,
     * sign-extended, rescaled. */
    auto value = [&](uint32_t stored) {
        uint32_t v = stored & mask;
        double d = is_signed && (v & sign) ? (double)(int32_t)(v | ~mask) : (double)v;
        return (float)(d * slope + icpt);
    };
    if (bytes == 4) {
        /* DCMTK holds OW data as 16-bit words in host order, swapped per
         * word from a big-endian file: a 32-bit value is then (w0<<16)|w1,
         * not w0|(w1<<16) as for little-endian data (reading the words as
         * one little-endian Uint32 swapped the halves of big-endian values). */
        Uint16 *p = nullptr;
        if (px->getVR() != EVR_OW || px->getUint16Array(p).bad() || !p) return false;
        for (size_t i = 0; i < n; i++) {
            uint32_t w0 = p[2 * (first + i)], w1 = p[2 * (first + i) + 1];
            out[i] = value(big_endian ? (w0 << 16 | w1) : (w0 | w1 << 16));
        }
    } else if (bytes == 2) {
        Uint16 *p = nullptr;
        if (px->getUint16Array(p).bad() || !p) return false;
        for (size_t i = 0; i < n; i++) out[i] = value(p[first + i]);
    } else {
        Uint8 *p = nullptr;
        if (px->getUint8Array(p).bad() || !p) return false;
        for (size_t i = 0; i < n; i++) out[i] = value(p[first + i]);
    }
    *st = TSC_OK;
    return true;
}

/* DCMTK 3.6.7's RLE decoder trusts the segment offsets of an RLE header and
 * reads far past the fragment when one points outside it (a crash found by
 * fuzzing, tests/fuzz).  Every fragment's header is checked first: 1 to 15
 * segments whose offsets rise from the end of the 64-byte header and stay
 * within the fragment.  Only the headers are read, not the pixel data. */
bool rle_headers_valid(DcmDataset *ds, E_TransferSyntax xfer)
{
    DcmElement *el = nullptr;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return false;
    DcmPixelData *pd = dynamic_cast<DcmPixelData *>(el);
    DcmPixelSequence *seq = nullptr;
    if (!pd || pd->getEncapsulatedRepresentation(xfer, nullptr, seq).bad() || !seq) return false;
    /* Item 0 is the basic offset table; each further item is one frame. */
    for (unsigned long k = 1; k < seq->card(); k++) {
        DcmPixelItem *item = nullptr;
        if (seq->getItem(item, k).bad() || !item) return false;
        Uint32 len = item->getLength();
        Uint8 h[64];
        if (len < sizeof h || item->getPartialValue(h, 0, sizeof h).bad()) return false;
        auto le32 = [&h](int o) {
            return (Uint32)h[o] | (Uint32)h[o + 1] << 8 | (Uint32)h[o + 2] << 16 | (Uint32)h[o + 3] << 24;
        };
        Uint32 n = le32(0), prev = sizeof h;
        if (n < 1 || n > 15) return false;
        for (Uint32 i = 0; i < n; i++) {
            Uint32 off = le32(4 + 4 * (int)i);
            if (off < prev || off > len) return false;
            prev = off;
        }
    }
    return true;
}

/* MONOCHROME1 inversion, statistics and the default window; takes `pixels`. */
tsc_status finish_image(const Slice &s, float *pixels, unsigned out_flags, tsc_dicom_image **out,
                        tsc_error *err)
{
    uint64_t n = (uint64_t)s.rows * (uint64_t)s.cols;
    double slope = s.rescale_slope == 0 || !std::isfinite(s.rescale_slope) ? 1 : s.rescale_slope;
    double intercept = std::isfinite(s.rescale_intercept) ? s.rescale_intercept : 0;
    tsc_dicom_image *im = (tsc_dicom_image *)calloc(1, sizeof *im);
    if (!im) {
        free(pixels);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    }
    double wc = s.window_center, ww = s.window_width;
    if (s.photometric == "MONOCHROME1") {
        /* Invert about the centre of the stored range, so that brighter
         * always means more signal for the analysis and the display. */
        int bits = s.bits_stored > 0 && s.bits_stored <= 32 ? s.bits_stored : 16;
        double lo = s.pixel_representation ? -std::ldexp(1.0, bits - 1) : 0.0;
        double hi = s.pixel_representation ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
        double a = lo * slope + intercept, b = hi * slope + intercept;
        for (uint64_t i = 0; i < n; i++) pixels[i] = (float)(a + b - pixels[i]);
        if (ww > 0) wc = a + b - wc;
        out_flags |= TSC_DICOM_IMAGE_INVERTED;
    }
    float mn = pixels[0], mx = pixels[0];
    bool finite = true;
    for (uint64_t i = 0; i < n; i++) {
        if (pixels[i] < mn) mn = pixels[i];
        if (pixels[i] > mx) mx = pixels[i];
        finite &= std::isfinite(pixels[i]) != 0;
    }
    /* A RescaleSlope/Intercept can push values past the float range; such
     * pixels would poison windowing, statistics and the analysis. */
    if (!finite) {
        free(pixels);
        free(im);
        return tsc_error_set(err, TSC_EFORMAT,
                             "file %s: RescaleSlope %g and RescaleIntercept %g give pixel values "
                             "outside the float range; the slice cannot be shown",
                             base_name(s.path), slope, intercept);
    }
    if (!(ww > 0) || (out_flags & TSC_DICOM_IMAGE_RGB_CONVERTED)) {
        wc = 0.5 * ((double)mn + (double)mx);
        ww = (double)mx - (double)mn;
        if (ww <= 0) ww = 1;
        out_flags |= TSC_DICOM_IMAGE_WINDOW_FROM_MINMAX;
    }
    im->rows = s.rows;
    im->cols = s.cols;
    im->pixels = pixels;
    im->pixel_spacing[0] = s.pixel_spacing[0] > 0 ? s.pixel_spacing[0] : 1.0;
    im->pixel_spacing[1] = s.pixel_spacing[1] > 0 ? s.pixel_spacing[1] : 1.0;
    im->window_center = wc;
    im->window_width = ww;
    im->min_value = mn;
    im->max_value = mx;
    im->flags = out_flags;
    *out = im;
    return TSC_OK;
}

tsc_status decode_impl(const tsc_dicom_index *ix, const Slice &s, tsc_dicom_image **out,
                       tsc_error *err)
{
    const char *name = base_name(s.path);
    uint64_t n = (uint64_t)s.rows * (uint64_t)s.cols;
    if (n * sizeof(float) > ix->max_pixel_bytes)
        return tsc_error_set(err, TSC_ELIMIT, "file %s: %dx%d pixels exceed the safety limit",
                             name, s.rows, s.cols);

    DcmFileFormat ff;
    /* Multi-frame objects keep their pixel data on disk so that only the
     * requested frame is decompressed. */
    Uint32 max_read = s.n_frames > 1 ? 4096 : DCM_MaxReadLength;
    OFCondition c = ff.loadFile(s.path.c_str(), EXS_Unknown, EGL_noChange, max_read, ERM_autoDetect);
    if (c.bad())
        return tsc_error_set(err, TSC_EIO, "file %s: cannot be read any more (%s)", name,
                             tsc__condition_text(c).c_str());
    DcmDataset *ds = ff.getDataset();
    E_TransferSyntax xfer = ds->getOriginalXfer();
    if (!DcmXfer(xfer).isEncapsulated()) {
        float *pixels = (float *)malloc((size_t)n * sizeof(float));
        if (!pixels)
            return tsc_error_set(err, TSC_ENOMEM, "file %s: out of memory for %dx%d pixels", name,
                                 s.rows, s.cols);
        tsc_status st = TSC_OK;
        std::string why;
        Uint16 rows = 0, cols = 0;
        ds->findAndGetUint16(DCM_Rows, rows);
        ds->findAndGetUint16(DCM_Columns, cols);
        if (rows != s.rows || cols != s.cols) {
            free(pixels);
            return tsc_error_set(err, TSC_EFORMAT,
                                 "file %s: image size changed since the study was opened; reopen it",
                                 name);
        }
        if (decode_native(ds, s, xfer == EXS_BigEndianExplicit, pixels, &st, &why)) {
            if (st != TSC_OK) {
                free(pixels);
                return tsc_error_set(err, st, "file %s: %s", name, why.c_str());
            }
            return finish_image(s, pixels, 0, out, err);
        }
        free(pixels);
    }
    if (xfer == EXS_RLELossless && !rle_headers_valid(ds, xfer))
        return tsc_error_set(err, TSC_EFORMAT,
                             "file %s: RLE data is corrupt (a segment lies outside its fragment)",
                             name);
    /* Colour images have no Modality LUT; DCMTK refuses the flag for them. */
    unsigned long flags = s.samples_per_pixel == 1 ? CIF_IgnoreModalityTransformation : 0;
    if (s.n_frames > 1) flags |= CIF_UsePartialAccessToPixelData;
    DicomImage img(&ff, xfer, flags, (unsigned long)s.frame, 1);
    if (img.getStatus() != EIS_Normal)
        return tsc_error_set(err, TSC_EFORMAT, "file %s: pixel data cannot be decoded (%s)", name,
                             DicomImage::getString(img.getStatus()));
    if ((int)img.getWidth() != s.cols || (int)img.getHeight() != s.rows)
        return tsc_error_set(err, TSC_EFORMAT,
                             "file %s: image size changed since the study was opened; reopen it",
                             name);

    std::unique_ptr<DicomImage> mono_owner;
    DicomImage *mono = &img;
    unsigned out_flags = 0;
    double slope = s.rescale_slope, intercept = s.rescale_intercept;
    if (!img.isMonochrome()) {
        mono_owner.reset(img.createMonochromeImage(0.299, 0.587, 0.114));
        if (!mono_owner || mono_owner->getStatus() != EIS_Normal)
            return tsc_error_set(err, TSC_EFORMAT, "file %s: colour image cannot be converted", name);
        mono = mono_owner.get();
        out_flags |= TSC_DICOM_IMAGE_RGB_CONVERTED;
        slope = 1;
        intercept = 0;
    }
    const DiPixel *px = mono->getInterData();
    if (!px || !px->getData() || px->getCount() < n)
        return tsc_error_set(err, TSC_EFORMAT, "file %s: pixel data shorter than the image", name);
    if (slope == 0 || !std::isfinite(slope)) slope = 1;
    if (!std::isfinite(intercept)) intercept = 0;

    float *pixels = (float *)malloc((size_t)n * sizeof(float));
    if (!pixels)
        return tsc_error_set(err, TSC_ENOMEM, "file %s: out of memory for %dx%d pixels", name,
                             s.rows, s.cols);
    const void *data = px->getData();
    switch (px->getRepresentation()) {
    case EPR_Uint8: convert<Uint8>(data, n, slope, intercept, pixels); break;
    case EPR_Sint8: convert<Sint8>(data, n, slope, intercept, pixels); break;
    case EPR_Uint16: convert<Uint16>(data, n, slope, intercept, pixels); break;
    case EPR_Sint16: convert<Sint16>(data, n, slope, intercept, pixels); break;
    case EPR_Uint32: convert<Uint32>(data, n, slope, intercept, pixels); break;
    case EPR_Sint32: convert<Sint32>(data, n, slope, intercept, pixels); break;
    default:
        free(pixels);
        return tsc_error_set(err, TSC_EUNSUPPORTED, "file %s: unknown pixel representation", name);
    }
    return finish_image(s, pixels, out_flags, out, err);
}

/* One tile of a Siemens MOSAIC: the whole stored image decoded, the tile
 * cut out, its statistics and default window its own. */
tsc_status decode_tile(const tsc_dicom_index *ix, const Slice &s, tsc_dicom_image **out,
                       tsc_error *err)
{
    Slice whole = s;
    whole.rows = s.mosaic_rows;
    whole.cols = s.mosaic_cols;
    whole.tile = -1;
    tsc_dicom_image *im = nullptr;
    tsc_status st = decode_impl(ix, whole, &im, err);
    if (st != TSC_OK) return st;
    int r0 = (s.tile / s.mosaic_grid) * s.rows, c0 = (s.tile % s.mosaic_grid) * s.cols;
    float *tile = (float *)malloc((size_t)s.rows * (size_t)s.cols * sizeof(float));
    if (!tile) {
        tsc_dicom_image_free(im);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    }
    for (int r = 0; r < s.rows; r++)
        memcpy(tile + (size_t)r * s.cols, im->pixels + (size_t)(r0 + r) * whole.cols + c0,
               (size_t)s.cols * sizeof(float));
    free(im->pixels);
    im->pixels = tile;
    im->rows = s.rows;
    im->cols = s.cols;
    float mn = tile[0], mx = tile[0];
    for (size_t i = 0; i < (size_t)s.rows * s.cols; i++) {
        mn = std::min(mn, tile[i]);
        mx = std::max(mx, tile[i]);
    }
    im->min_value = mn;
    im->max_value = mx;
    if (im->flags & TSC_DICOM_IMAGE_WINDOW_FROM_MINMAX) {
        im->window_center = 0.5 * ((double)mn + (double)mx);
        im->window_width = mx > mn ? (double)mx - (double)mn : 1.0;
    }
    *out = im;
    return TSC_OK;
}

} // namespace

extern "C" tsc_status tsc_dicom_decode_slice(const tsc_dicom_index *ix, size_t series,
                                             size_t slice, tsc_dicom_image **out, tsc_error *err)
{
    TSC_ASSERT(ix && out);
    TSC_ASSERT(series < ix->series.size());
    TSC_ASSERT(slice < ix->series[series].slices.size());
    *out = nullptr;
    tsc_error_clear(err);
    register_codecs();
    TSC__API_IMPL_BEGIN
        const Slice &s = ix->series[series].slices[slice];
        return s.tile >= 0 ? decode_tile(ix, s, out, err) : decode_impl(ix, s, out, err);
    TSC__API_IMPL_END(err, "decoding series %zu slice %zu", series, slice)
}

extern "C" void tsc_dicom_image_free(tsc_dicom_image *image)
{
    if (!image) return;
    free(image->pixels);
    free(image);
}
