/* SPDX-License-Identifier: BSD-3-Clause */
/* A DICOM header's attributes into a Slice: typed getters, private
 * (Siemens, GE, Philips) elements, diffusion, contrast, enhanced multi-frame
 * functional groups, mosaics, and the checks of what can be decoded
 * (read_index_private.h). */
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
#include <new>
#include <set>
#include <utility>

#include "read_index_private.h"

namespace tsc_dicom_internal {

std::string get_string(DcmItem *item, const DcmTagKey &tag)
{
    OFString value;
    if (item && item->findAndGetOFStringArray(tag, value).good()) {
        std::string s(value.c_str());
        /* Trailing padding spaces and NULs are not part of the value. */
        while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
        while (!s.empty() && s.front() == ' ') s.erase(s.begin());
        return s;
    }
    return std::string();
}

bool get_doubles(DcmItem *item, const DcmTagKey &tag, double *out, int n)
{
    if (!item) return false;
    /* All or nothing: a value missing half-way leaves `out` (often a
     * default) as it was. */
    double v[6];
    TSC_ASSERT(n >= 1 && n <= 6);
    for (int i = 0; i < n; i++) {
        Float64 x = 0;
        if (item->findAndGetFloat64(tag, x, (unsigned long)i).bad() || !std::isfinite(x))
            return false;
        v[i] = x;
    }
    memcpy(out, v, sizeof(double) * (size_t)n);
    return true;
}

bool get_double(DcmItem *item, const DcmTagKey &tag, double *out)
{
    return get_doubles(item, tag, out, 1);
}

long get_long(DcmItem *item, const DcmTagKey &tag, long fallback)
{
    if (!item) return fallback;
    Sint32 s = 0;
    if (item->findAndGetSint32(tag, s).good()) return s;
    Uint16 u = 0;
    if (item->findAndGetUint16(tag, u).good()) return u;
    /* IS values are strings; findAndGetSint32 handles them, but be lenient. */
    std::string str = get_string(item, tag);
    if (!str.empty()) {
        char *end = nullptr;
        long v = strtol(str.c_str(), &end, 10);
        if (end != str.c_str()) return v;
    }
    return fallback;
}

/* PixelSpacing that cannot be the size of a pixel (zero, negative, absurdly
 * large) counts as absent: sizes then fall back to 1 mm per pixel, as for
 * files without PixelSpacing, instead of turning negative or infinite. */
bool get_pixel_spacing(DcmItem *item, const DcmTagKey &tag, double *out)
{
    double ps[2];
    if (!get_doubles(item, tag, ps, 2)) return false;
    if (!(ps[0] > 0 && ps[1] > 0 && ps[0] <= 1e4 && ps[1] <= 1e4)) return false;
    out[0] = ps[0];
    out[1] = ps[1];
    return true;
}

/* The first item of a sequence inside `item`, or NULL. */
DcmItem *first_item(DcmItem *item, const DcmTagKey &seq)
{
    if (!item) return nullptr;
    DcmItem *out = nullptr;
    if (item->findAndGetSequenceItem(seq, out, 0).good()) return out;
    return nullptr;
}

/* A private element (group, block offset `offset`) under the private creator
 * whose name starts with `creator` (case-insensitive), or NULL.  Creators
 * are looked up in the order scanners write them (0x10, 0x11, ...). */
DcmElement *private_element(DcmItem *item, Uint16 group, Uint16 offset, const char *creator)
{
    if (!item) return nullptr;
    for (Uint16 blk = 0x10; blk <= 0xff; blk++) {
        std::string c = get_string(item, DcmTagKey(group, blk));
        if (c.empty()) return nullptr;
        if (strncasecmp(c.c_str(), creator, strlen(creator)) == 0) {
            DcmElement *e = nullptr;
            if (item->findAndGetElement(DcmTagKey(group, (Uint16)(blk << 8 | offset)), e).good())
                return e;
            return nullptr;
        }
    }
    return nullptr;
}

/* The `pos`-th value of an element as a number.  Elements of a known VR give
 * their value; UN/OB ones (private tags DCMTK has no dictionary entry for)
 * are read from their little-endian bytes as `raw`: 's' text (IS/DS),
 * 'h' uint16, 'f' float32, 'd' float64. */
bool element_number(DcmElement *e, char raw, unsigned long pos, double *out)
{
    if (!e) return false;
    DcmEVR vr = e->ident();
    if (vr == EVR_UN || vr == EVR_OB) {
        Uint8 *b = nullptr;
        if (e->getUint8Array(b).bad() || !b) return false;
        size_t len = e->getLength();
        double v = 0;
        if (raw == 's') {
            std::string text((const char *)b, len);
            size_t start = 0;
            for (unsigned long i = 0; i < pos; i++) {
                start = text.find('\\', start);
                if (start == std::string::npos) return false;
                start++;
            }
            char *end = nullptr;
            v = strtod(text.c_str() + start, &end);
            if (end == text.c_str() + start) return false;
        } else if (raw == 'h' && len >= 2 * (pos + 1)) {
            v = (double)(b[2 * pos] | b[2 * pos + 1] << 8);
        } else if (raw == 'f' && len >= 4 * (pos + 1)) {
            uint32_t u = (uint32_t)b[4 * pos] | (uint32_t)b[4 * pos + 1] << 8 |
                         (uint32_t)b[4 * pos + 2] << 16 | (uint32_t)b[4 * pos + 3] << 24;
            float f;
            memcpy(&f, &u, sizeof f);
            v = f;
        } else if (raw == 'd' && len >= 8 * (pos + 1)) {
            uint64_t u = 0;
            for (int i = 7; i >= 0; i--) u = u << 8 | b[8 * pos + (size_t)i];
            memcpy(&v, &u, sizeof v);
        } else {
            return false;
        }
        if (!std::isfinite(v)) return false;
        *out = v;
        return true;
    }
    OFString str;
    if (e->getOFString(str, pos).bad()) return false;
    char *end = nullptr;
    double v = strtod(str.c_str(), &end);
    if (end == str.c_str() || !std::isfinite(v)) return false;
    *out = v;
    return true;
}

/* A diffusion b-value from the standard attribute, else the vendors'
 * private ones (as dcm2niix reads them); -1 when none.  Values outside
 * 0..100000 s/mm² are not b-values. */
double diffusion_b_value(DcmItem *ds)
{
    double b = -1;
    Float64 v = 0;
    if (ds->findAndGetFloat64(DCM_DiffusionBValue, v).good() && std::isfinite(v)) {
        b = v;
    } else if (element_number(private_element(ds, 0x0019, 0x0C, "SIEMENS MR HEADER"), 's', 0,
                              &b)) {
    } else if (element_number(private_element(ds, 0x0043, 0x39, "GEMS_PARM_01"), 's', 0, &b)) {
        /* GE adds 10^9 (and more) to flag the b-value's use. */
        b = std::fmod(b, 1e9);
    } else if (element_number(private_element(ds, 0x2001, 0x03, "Philips Imaging DD 001"), 'f',
                              0, &b)) {
    } else {
        b = -1;
    }
    if (!(b >= 0 && b <= 1e5)) return -1;
    return b;
}

/* The diffusion gradient direction (unit vector), standard or Siemens. */
bool diffusion_direction(DcmItem *ds, double *dir)
{
    DcmItem *g = first_item(ds, DCM_DiffusionGradientDirectionSequence);
    if (get_doubles(g ? g : ds, DCM_DiffusionGradientOrientation, dir, 3)) return true;
    DcmElement *e = private_element(ds, 0x0019, 0x0E, "SIEMENS MR HEADER");
    for (int i = 0; i < 3; i++)
        if (!element_number(e, 'd', (unsigned long)i, &dir[i])) return false;
    return true;
}

std::string lower(std::string s)
{
    for (char &c : s) c = (char)tolower((unsigned char)c);
    return s;
}

bool contains(const std::string &hay, const char *needle)
{
    return hay.find(needle) != std::string::npos;
}

/* Does a multi-valued CS attribute (values joined by '\\') hold `value`? */
bool has_value(const std::string &joined, const char *value)
{
    size_t start = 0;
    for (;;) {
        size_t end = joined.find('\\', start);
        std::string v = joined.substr(start, end == std::string::npos ? std::string::npos : end - start);
        while (!v.empty() && v.back() == ' ') v.pop_back();
        while (!v.empty() && v.front() == ' ') v.erase(v.begin());
        if (strcasecmp(v.c_str(), value) == 0) return true;
        if (end == std::string::npos) return false;
        start = end + 1;
    }
}

/* Images that show no tissue contrast of their own (phase, field maps,
 * projections, localizers): a weighting label on them would be wrong. */
static bool no_tissue_contrast(const Slice &s, const std::string &text)
{
    static const char *types[] = {"P", "PHASE", "R", "REAL", "I", "IMAGINARY", "FIELD_MAP",
                                  "FIELDMAP", "B0", "B0MAP", "B0 MAP", "PROJECTION IMAGE", "MIP",
                                  "MINIP", "LOCALIZER", "SCOUT", "VELOCITY"};
    for (const char *t : types)
        if (has_value(s.image_type, t)) return true;
    if (!strcasecmp(s.complex_kind.c_str(), "PHASE") || !strcasecmp(s.complex_kind.c_str(), "REAL") ||
        !strcasecmp(s.complex_kind.c_str(), "IMAGINARY"))
        return true;
    static const char *words[] = {"field map", "field_map", "fieldmap", "field mapping",
                                  "field_mapping", "b0map", "b0 map", "b0_map", "fmap", "mip",
                                  "localizer", "localiser", "scout", "survey", "phase"};
    for (const char *w : words)
        if (contains(text, w)) return true;
    return false;
}

/* A label a radiologist recognises ("T1 post-contrast", "FLAIR"), from the
 * headers: ImageType, b-values, the descriptions, and the timing parameters
 * only where the sequence type makes them unambiguous.  Empty when unsure:
 * no label beats a wrong one (a B0 field map or a MIP is not "T1"). */
std::string contrast_label(DcmItem *ds, const Slice &s, const std::string &description,
                           const std::string &sequence, const std::string &agent)
{
    std::string scanning = get_string(ds, DCM_ScanningSequence);
    std::string text = lower(description + " " + get_string(ds, DCM_ProtocolName) + " " +
                             sequence);
    if (no_tissue_contrast(s, text)) return "";
    bool post = !agent.empty() || contains(text, "post") || contains(text, "+c") ||
                contains(text, "gad") || contains(text, " gd") || contains(text, "contrast");
    if (has_value(s.image_type, "ADC") || contains(text, "adc")) return "ADC";
    if (has_value(s.image_type, "FA") || has_value(s.image_type, "TENSOR")) return "";
    if (s.b_value > 0 || has_value(s.image_type, "DIFFUSION") ||
        has_value(s.image_type, "TRACEW") || contains(text, "dwi") || contains(text, "diffusion"))
        return "DWI";
    if (contains(text, "flair")) return "FLAIR";
    if (contains(text, "swi")) return "SWI";
    if (has_value(scanning, "EP") || contains(text, "epi") || contains(text, "bold") ||
        contains(text, "fmri"))
        return "EPI";
    std::string weight;
    if (contains(text, "t1")) weight = "T1";
    else if (contains(text, "t2")) weight = "T2";
    else if (contains(text, "pd")) weight = "PD";
    if (weight.empty()) {
        /* Timing decides only for spin echo and inversion recovery: short
         * TR/TE gradient echoes are as often angiography or field maps as
         * T1-weighted anatomy. */
        double tr = s.repetition_time, te = s.echo_time, ti = s.inversion_time;
        bool ir = has_value(scanning, "IR"), se = has_value(scanning, "SE");
        if (ir && ti > 1500 && te > 60) return "FLAIR";
        if (ir && ti >= 300 && ti <= 1300 && te > 0 && te < 30) weight = "T1";
        else if (se && !ir && tr > 0 && tr < 1000 && te > 0 && te < 30) weight = "T1";
        else if (se && !ir && tr > 2000 && te > 70) weight = "T2";
    }
    if (weight.empty()) return post ? "post-contrast" : "";
    return post && weight == "T1" ? "T1 post-contrast" : weight;
}

/* Geometry for frame `f` of an enhanced multi-frame object: per-frame
 * functional groups override the shared ones. */
void frame_geometry(DcmItem *shared, DcmItem *frame, Slice &s)
{
    DcmItem *groups[2] = {shared, frame};
    for (DcmItem *g : groups) {
        if (!g) continue;
        if (DcmItem *pm = first_item(g, DCM_PixelMeasuresSequence)) {
            get_pixel_spacing(pm, DCM_PixelSpacing, s.pixel_spacing);
            get_double(pm, DCM_SliceThickness, &s.thickness);
        }
        if (DcmItem *pp = first_item(g, DCM_PlanePositionSequence))
            if (get_doubles(pp, DCM_ImagePositionPatient, s.position, 3)) s.has_position = true;
        if (DcmItem *po = first_item(g, DCM_PlaneOrientationSequence))
            if (get_doubles(po, DCM_ImageOrientationPatient, s.orientation, 6))
                s.has_orientation = true;
        if (DcmItem *voi = first_item(g, DCM_FrameVOILUTSequence)) {
            get_double(voi, DCM_WindowCenter, &s.window_center);
            get_double(voi, DCM_WindowWidth, &s.window_width);
        }
        if (DcmItem *pvt = first_item(g, DCM_PixelValueTransformationSequence)) {
            get_double(pvt, DCM_RescaleSlope, &s.rescale_slope);
            get_double(pvt, DCM_RescaleIntercept, &s.rescale_intercept);
        }
        if (DcmItem *fc = first_item(g, DCM_FrameContentSequence)) {
            long stack_pos = get_long(fc, DCM_InStackPositionNumber, 0);
            if (stack_pos > 0) s.instance_number = (int)stack_pos;
        }
    }
}

/* What tells frames apart besides their position (enhanced MR): b-value,
 * echo, frame type, temporal position, ASL context. */
void frame_acquisition(DcmItem *shared, DcmItem *frame, Slice &s)
{
    DcmItem *groups[2] = {shared, frame};
    for (DcmItem *g : groups) {
        if (!g) continue;
        if (DcmItem *d = first_item(g, DCM_MRDiffusionSequence)) {
            Float64 v = 0;
            if (d->findAndGetFloat64(DCM_DiffusionBValue, v).good() && v >= 0 && v <= 1e5)
                s.b_value = v;
            double dir[3];
            if (diffusion_direction(d, dir)) {
                memcpy(s.b_dir, dir, sizeof dir);
                s.has_b_dir = true;
            }
        }
        if (DcmItem *e = first_item(g, DCM_MREchoSequence))
            get_double(e, DCM_EffectiveEchoTime, &s.echo_time);
        if (DcmItem *t = first_item(g, DCM_MRTimingAndRelatedParametersSequence))
            get_double(t, DCM_RepetitionTime, &s.repetition_time);
        if (DcmItem *ft = first_item(g, DCM_MRImageFrameTypeSequence)) {
            std::string v = get_string(ft, DCM_FrameType);
            if (!v.empty()) s.image_type = v;
            v = get_string(ft, DCM_ComplexImageComponent);
            if (!v.empty()) s.complex_kind = v;
        }
        if (DcmItem *fc = first_item(g, DCM_FrameContentSequence)) {
            long t = get_long(fc, DCM_TemporalPositionIndex, -1);
            if (t >= 0) s.temporal_position = t;
        }
        OFString asl;
        if (g->findAndGetOFString(DCM_ASLContext, asl, 0, OFTrue).good() && !asl.empty())
            s.asl_context = asl.c_str();
    }
}

/* The tiles of a Siemens MOSAIC as slices.  ImagePositionPatient of a mosaic
 * is that of the whole stored image: shifted to the first tile's corner as
 * dcm2niix does, then each tile one SpacingBetweenSlices (else
 * SliceThickness) further along the slice normal (row x column direction).
 * The CSA header's slice order is not read: descending mosaics come out in
 * reverse order.  Returns no tile when the image does not divide into the
 * grid. */
std::vector<Slice> mosaic_tiles(DcmItem *ds, const Slice &base, int n)
{
    std::vector<Slice> out;
    int grid = (int)std::ceil(std::sqrt((double)n));
    if (grid < 2 || base.rows % grid || base.cols % grid || base.samples_per_pixel != 1) return out;
    int tr = base.rows / grid, tc = base.cols / grid;
    double spacing = 0;
    if (!get_double(ds, DCM_SpacingBetweenSlices, &spacing) || !(spacing > 0)) spacing = base.thickness;
    const double *o = base.orientation;
    double nrm[3];
    slice_normal(o, nrm);
    double first[3];
    for (int i = 0; i < 3; i++)
        first[i] = base.position[i] +
                   o[i] * base.pixel_spacing[1] * (base.cols - (double)tc) / 2.0 +
                   o[3 + i] * base.pixel_spacing[0] * (base.rows - (double)tr) / 2.0;
    for (int t = 0; t < n; t++) {
        Slice s = base;
        s.tile = t;
        s.mosaic_grid = grid;
        s.mosaic_rows = base.rows;
        s.mosaic_cols = base.cols;
        s.rows = tr;
        s.cols = tc;
        if (base.has_position)
            for (int i = 0; i < 3; i++) s.position[i] = first[i] + t * spacing * nrm[i];
        out.push_back(std::move(s));
    }
    return out;
}

void normalise_orientation(Slice &s)
{
    if (!s.has_orientation) return;
    double *o = s.orientation;
    double n1 = std::sqrt(o[0] * o[0] + o[1] * o[1] + o[2] * o[2]);
    double n2 = std::sqrt(o[3] * o[3] + o[4] * o[4] + o[5] * o[5]);
    if (n1 < 1e-6 || n2 < 1e-6) {
        s.has_orientation = false;
        return;
    }
}

void slice_normal(const double *o, double *n)
{
    n[0] = o[1] * o[5] - o[2] * o[4];
    n[1] = o[2] * o[3] - o[0] * o[5];
    n[2] = o[0] * o[4] - o[1] * o[3];
    double len = std::sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (len > 1e-9)
        for (int i = 0; i < 3; i++) n[i] /= len;
}

tsc_status read_image_header(DcmItem *ds, const DcmXfer &xfer, const std::string &path,
                             uint64_t max_pixel_bytes, Slice *out, std::string *reason)
{
    Slice &base = *out;
    base.rows = (int)get_long(ds, DCM_Rows, 0);
    base.cols = (int)get_long(ds, DCM_Columns, 0);
    base.samples_per_pixel = (int)get_long(ds, DCM_SamplesPerPixel, 1);
    base.bits_allocated = (int)get_long(ds, DCM_BitsAllocated, 0);
    base.bits_stored = (int)get_long(ds, DCM_BitsStored, base.bits_allocated);
    base.pixel_representation = (int)get_long(ds, DCM_PixelRepresentation, 0);
    base.photometric = get_string(ds, DCM_PhotometricInterpretation);
    base.instance_number = (int)get_long(ds, DCM_InstanceNumber, 0);
    long n_frames = get_long(ds, DCM_NumberOfFrames, 1);

    if (base.rows <= 0 || base.cols <= 0) {
        *reason = "Rows or Columns is 0 or missing; the image cannot be decoded";
        return TSC_EFORMAT;
    }
    if (base.rows > 32768 || base.cols > 32768) {
        *reason = "image of " + std::to_string(base.rows) + "x" + std::to_string(base.cols) +
                  " pixels exceeds the 32768x32768 limit";
        return TSC_ELIMIT;
    }
    if (base.bits_allocated != 8 && base.bits_allocated != 16 && base.bits_allocated != 32 &&
        base.bits_allocated != 1) {
        *reason = "BitsAllocated " + std::to_string(base.bits_allocated) + " is not supported";
        return TSC_EUNSUPPORTED;
    }
    if (base.bits_stored <= 0 || base.bits_stored > base.bits_allocated) {
        *reason = "BitsStored " + std::to_string(base.bits_stored) + " does not fit BitsAllocated " +
                  std::to_string(base.bits_allocated);
        return TSC_EFORMAT;
    }
    if (base.samples_per_pixel != 1 && base.samples_per_pixel != 3) {
        *reason = "SamplesPerPixel " + std::to_string(base.samples_per_pixel) + " is not supported";
        return TSC_EUNSUPPORTED;
    }
    if (n_frames <= 0 || n_frames > 100000) {
        *reason = "NumberOfFrames " + std::to_string(n_frames) + " is out of range";
        return TSC_EFORMAT;
    }
    base.n_frames = (int)n_frames;

    /* Refuse before anything allocates: decoded float pixels of one frame
     * and stored bytes of the whole object. */
    uint64_t frame_px = (uint64_t)base.rows * (uint64_t)base.cols;
    /* Uncompressed YBR_FULL_422 stores two samples per pixel (Y Y Cb Cr for
     * each pair); 1-bit data (SEG) packs eight pixels per byte. */
    uint64_t samples = base.photometric == "YBR_FULL_422" && !xfer.isEncapsulated() &&
                               base.samples_per_pixel == 3
                           ? 2
                           : (uint64_t)base.samples_per_pixel;
    uint64_t stored = base.bits_allocated == 1
                          ? (frame_px * (uint64_t)n_frames + 7) / 8
                          : frame_px * samples * (uint64_t)(base.bits_allocated / 8) *
                                (uint64_t)n_frames;
    if (frame_px * sizeof(float) > max_pixel_bytes || stored > max_pixel_bytes * 4) {
        *reason = "pixel data of " + std::to_string(stored) +
                  " bytes exceeds the safety limit; refused";
        return TSC_ELIMIT;
    }
    if (!xfer.isEncapsulated()) {
        DcmElement *px = nullptr;
        if (ds->findAndGetElement(DCM_PixelData, px).good() && px) {
            uint64_t have = px->getLength();
            uint64_t need = stored;
            if (have < need) {
                *reason = "pixel data shorter than declared (" + std::to_string(have) +
                          " bytes, expected " + std::to_string(need) + "); file truncated?";
                return TSC_EFORMAT;
            }
        }
        /* The value sits on disk: make sure the file is that long (not for
         * deflated files, whose stream is compressed). */
        struct stat st;
        if (xfer.getXfer() != EXS_DeflatedLittleEndianExplicit && stat(path.c_str(), &st) == 0 &&
            (uint64_t)st.st_size < stored) {
            *reason = "file is shorter than its pixel data (" + std::to_string(st.st_size) +
                      " bytes for " + std::to_string(stored) + " pixel bytes); truncated";
            return TSC_EFORMAT;
        }
    }
    return TSC_OK;
}

void read_acquisition(DcmItem *ds, Slice *out)
{
    Slice &base = *out;
    if (!get_pixel_spacing(ds, DCM_PixelSpacing, base.pixel_spacing))
        get_pixel_spacing(ds, DCM_ImagerPixelSpacing, base.pixel_spacing);
    get_double(ds, DCM_SliceThickness, &base.thickness);
    base.has_position = get_doubles(ds, DCM_ImagePositionPatient, base.position, 3);
    base.has_orientation = get_doubles(ds, DCM_ImageOrientationPatient, base.orientation, 6);
    get_double(ds, DCM_WindowCenter, &base.window_center);
    get_double(ds, DCM_WindowWidth, &base.window_width);
    get_double(ds, DCM_RescaleSlope, &base.rescale_slope);
    get_double(ds, DCM_RescaleIntercept, &base.rescale_intercept);
    base.image_type = get_string(ds, DCM_ImageType);
    base.echo_number = (int)get_long(ds, DCM_EchoNumbers, 0);
    get_double(ds, DCM_EchoTime, &base.echo_time);
    get_double(ds, DCM_RepetitionTime, &base.repetition_time);
    get_double(ds, DCM_InversionTime, &base.inversion_time);
    base.acquisition_time = get_string(ds, DCM_AcquisitionTime);
    if (base.acquisition_time.empty()) base.acquisition_time = get_string(ds, DCM_AcquisitionDateTime);
    base.temporal_position = get_long(ds, DCM_TemporalPositionIdentifier, -1);
    base.complex_kind = get_string(ds, DCM_ComplexImageComponent);
    base.asl_context = get_string(ds, DCM_ASLContext);
    base.b_value = diffusion_b_value(ds);
    base.has_b_dir = diffusion_direction(ds, base.b_dir);
}

int mosaic_count(DcmItem *ds, const std::string &image_type)
{
    double count = 0;
    if (element_number(private_element(ds, 0x0019, 0x0A, "SIEMENS MR HEADER"), 'h', 0, &count) &&
        count >= 1 && count <= 4096)
        return (int)count;
    return has_value(image_type, "MOSAIC") ? 1 : 0; /* a mosaic whose tile count is not given */
}

} // namespace tsc_dicom_internal
