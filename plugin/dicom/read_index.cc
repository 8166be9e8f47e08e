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

#include "read_private.h"

using namespace tsc_dicom_internal;

static const char LOG_DOMAIN[] = "dicom";

namespace tsc_dicom_internal {

/* DCMTK's codec registry is global: give our codecs back when the process
 * exits (a static destructor runs before LeakSanitizer's exit check). */
struct DecodersRegistered {
    bool done = false;
    ~DecodersRegistered()
    {
        if (!done) return;
        DJDecoderRegistration::cleanup();
        DJLSDecoderRegistration::cleanup();
        DcmRLEDecoderRegistration::cleanup();
    }
};
static DecodersRegistered decoders_registered;

void register_codecs()
{
    static std::once_flag once;
    std::call_once(once, [] {
        /* DCMTK logs to stderr by default; our hosts decide what is shown,
         * and DCMTK's messages may quote patient data. */
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
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
        decoders_registered.done = true;
    });
}

std::string condition_text(const OFCondition &cond)
{
    return cond.text() ? std::string(cond.text()) : std::string("unknown DCMTK error");
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

/* ---- small helpers ------------------------------------------------------ */

namespace {

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
    for (int i = 0; i < n; i++) {
        Float64 v = 0;
        if (item->findAndGetFloat64(tag, v, (unsigned long)i).bad()) return false;
        if (!std::isfinite(v)) return false;
        out[i] = v;
    }
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
bool no_tissue_contrast(const Slice &s, const std::string &text)
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

/* DCMTK reads nested sequences recursively, several stack frames per level:
 * a file of a few thousand nested sequences (160 KB) overflows the stack.
 * Real objects nest a few levels (SR trees rarely beyond 20). */
const int MAX_SEQUENCE_DEPTH = 256;

/* Sequential reading with a look-ahead window, through DCMTK's streams so
 * that deflated data sets are walked inflated.  Reads must not go back. */
struct HeaderSource {
    std::unique_ptr<DcmInputFileStream> in;
    std::vector<unsigned char> buf;
    uint64_t start = 0; /* position of buf[0] in the (inflated) file */

    bool open(const std::string &path, uint64_t at, bool inflate)
    {
        in.reset(new DcmInputFileStream(path.c_str(), (offile_off_t)at));
        if (!in->good()) return false;
        if (inflate && in->installCompressionFilter(ESC_zlib).bad()) return false;
        buf.clear();
        start = at;
        return true;
    }

    bool read_at(uint64_t at, unsigned char *dst, size_t n)
    {
        if (at < start) return false;
        if (at > start + buf.size()) {
            uint64_t gap = at - (start + buf.size());
            if ((uint64_t)in->skip((offile_off_t)gap) != gap) return false;
            buf.clear();
            start = at;
        }
        size_t rel = (size_t)(at - start);
        if (rel + n > buf.size()) {
            /* Refill: drop what lies before `at`, read on. */
            buf.erase(buf.begin(), buf.begin() + (ptrdiff_t)rel);
            start = at;
            rel = 0;
            while (buf.size() < n) {
                if (!in->good() || in->eos()) return false;
                size_t old = buf.size();
                buf.resize(old + 65536);
                offile_off_t got = in->read(buf.data() + old, 65536);
                buf.resize(old + (size_t)got);
                /* No progress ends the walk too: on some corrupt deflated
                 * data DCMTK's inflating stream reads nothing while staying
                 * good() and short of eos() (an endless loop found by
                 * fuzzing, tests/fuzz). */
                if (got <= 0) return false;
            }
        }
        memcpy(dst, buf.data() + rel, n);
        return true;
    }
};

/* Walks the element headers of a file without recursion, skipping values, and
 * says whether sequences nest deeper than MAX_SEQUENCE_DEPTH.  Layouts it does
 * not follow (garbage, a meta header without its group length before a
 * deflated data set) are left to DCMTK. */
bool nested_too_deep(const std::string &path)
{
    HeaderSource src;
    unsigned char h[12];
    uint64_t pos = 0, meta_end = 0;
    bool explicit_vr = true, big_endian = false, in_meta = false, deflated = false;
    if (!src.open(path, 0, false)) return false;
    if (src.read_at(128, h, 4) && memcmp(h, "DICM", 4) == 0) {
        pos = 132;
        in_meta = true;
    } else if (!src.open(path, 0, false) || !src.read_at(0, h, 6)) {
        return false;
    } else {
        /* A bare data set: guess its encoding from the first element. */
        explicit_vr = isupper(h[4]) && isupper(h[5]);
        big_endian = h[0] == 0 && h[1] == 0x08;
    }
    struct Level {
        uint64_t end;     /* defined length: where it ends; UINT64_MAX: delimited */
        bool fragments;   /* encapsulated pixel data: items are opaque */
        bool implicit_vr; /* UN of undefined length: implicit VR inside */
    };
    std::vector<Level> stack;
    bool too_deep = false;
    for (;;) {
        while (!stack.empty() && pos >= stack.back().end) stack.pop_back();
        if (in_meta && meta_end && pos >= meta_end) {
            /* The data set starts; a deflated one is read inflated. */
            in_meta = false;
            if (deflated && !src.open(path, meta_end, true)) break;
        }
        if (!src.read_at(pos, h, 8)) break;
        if (in_meta && (h[0] | h[1] << 8) != 0x0002) {
            if (deflated) break; /* no group length: cannot find the data set */
            in_meta = false;
        }
        bool be = big_endian && !in_meta;
        auto u16 = [&](int o) { return be ? (unsigned)(h[o] << 8 | h[o + 1]) : (unsigned)(h[o] | h[o + 1] << 8); };
        auto u32 = [&](int o) {
            return be ? (uint32_t)h[o] << 24 | (uint32_t)h[o + 1] << 16 | (uint32_t)h[o + 2] << 8 | h[o + 3]
                      : (uint32_t)h[o] | (uint32_t)h[o + 1] << 8 | (uint32_t)h[o + 2] << 16 |
                            (uint32_t)h[o + 3] << 24;
        };
        unsigned group = u16(0), elem = u16(2);
        if (group == 0xfffe) {
            uint32_t len = u32(4);
            pos += 8;
            if (elem == 0xe000) {
                if (!stack.empty() && stack.back().fragments) {
                    if (len != 0xffffffffu) pos += len;
                    continue;
                }
                bool implicit = !stack.empty() && stack.back().implicit_vr;
                stack.push_back({len == 0xffffffffu ? UINT64_MAX : pos + len, false, implicit});
            } else if (!stack.empty() && stack.back().end == UINT64_MAX) {
                stack.pop_back(); /* item or sequence delimiter */
            }
            if (stack.size() > 2 * (size_t)MAX_SEQUENCE_DEPTH) {
                too_deep = true;
                break;
            }
            continue;
        }
        bool implicit = !in_meta && (!explicit_vr || (!stack.empty() && stack.back().implicit_vr));
        uint32_t len;
        uint64_t header = 8;
        bool sq = false, un = false;
        if (implicit) {
            len = u32(4);
            sq = DcmTag((Uint16)group, (Uint16)elem).getEVR() == EVR_SQ;
        } else {
            char vr[3] = {(char)h[4], (char)h[5], 0};
            if (!isupper(h[4]) || !isupper(h[5])) break; /* not followed: DCMTK decides */
            static const char *long_vrs[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                             "SV", "UC", "UN", "UR", "UT", "UV"};
            bool long_form = false;
            for (const char *v : long_vrs) long_form |= strcmp(v, vr) == 0;
            sq = strcmp(vr, "SQ") == 0;
            un = strcmp(vr, "UN") == 0;
            if (long_form) {
                if (!src.read_at(pos + 8, h + 8, 4)) break;
                len = u32(8);
                header = 12;
            } else {
                len = u16(6);
            }
        }
        if (in_meta && group == 0x0002 && elem == 0x0000 && len == 4) {
            unsigned char gl[4];
            if (!src.read_at(pos + header, gl, 4)) break;
            meta_end = pos + header + 4 + ((uint32_t)gl[0] | (uint32_t)gl[1] << 8 |
                                           (uint32_t)gl[2] << 16 | (uint32_t)gl[3] << 24);
        }
        if (in_meta && group == 0x0002 && elem == 0x0010 && len < 64) {
            /* The data set's transfer syntax. */
            char uid[65] = "";
            if (!src.read_at(pos + header, (unsigned char *)uid, len)) break;
            uid[len] = '\0';
            for (char *e = uid + strlen(uid); e > uid && (e[-1] == ' ' || e[-1] == '\0');) *--e = '\0';
            deflated = !strcmp(uid, UID_DeflatedExplicitVRLittleEndianTransferSyntax);
            explicit_vr = strcmp(uid, UID_LittleEndianImplicitTransferSyntax) != 0;
            big_endian = !strcmp(uid, UID_BigEndianExplicitTransferSyntax);
        }
        pos += header;
        if (len == 0xffffffffu) {
            bool pixels = group == 0x7fe0 && elem == 0x0010;
            stack.push_back({UINT64_MAX, pixels, un || implicit});
        } else if (sq) {
            stack.push_back({pos + len, false, implicit});
        } else {
            pos += len;
        }
        if (stack.size() > 2 * (size_t)MAX_SEQUENCE_DEPTH) {
            too_deep = true;
            break;
        }
    }
    return too_deep;
}

const char DEEP_REASON[] = "sequences nested more than 256 levels deep; refused (no real object "
                           "nests so deep, and reading it could exhaust the stack)";

struct Walker {
    const tsc_dicom_open_params *params;
    tsc_dicom_index *index;
    std::vector<std::string> files;
    std::set<std::pair<dev_t, ino_t>> seen_dirs;
    std::set<std::string> seen_files; /* canonical paths, so no file is read twice */
    bool cancelled = false;

    void skip(const std::string &path, tsc_status st, const std::string &reason)
    {
        Skipped s;
        s.path = path;
        s.reason = reason;
        s.status = st;
        index->skipped.push_back(std::move(s));
    }

    void add_file(const std::string &path)
    {
        if (files.size() >= params->max_files) return;
        char *real = realpath(path.c_str(), nullptr);
        std::string key = real ? std::string(real) : path;
        free(real);
        if (seen_files.insert(key).second) files.push_back(path);
    }

    bool is_dicomdir_name(const char *name)
    {
        return strcasecmp(name, "DICOMDIR") == 0;
    }

    /* ".NAME.XXXXXX": the temporary next to an output file that our atomic
     * writers rename into place when complete.  One left by a killed writer
     * may be complete, yet it is a duplicate (or a partial) of a real file. */
    static bool is_temporary_name(const std::string &name)
    {
        size_t n = name.size();
        if (n < 9 || name[0] != '.' || name[n - 7] != '.') return false;
        for (size_t i = n - 6; i < n; i++)
            if (!isalnum((unsigned char)name[i])) return false;
        return true;
    }

    void walk(const std::string &dir, int depth)
    {
        if (cancelled) return;
        if (depth > 64) {
            skip(dir, TSC_ELIMIT, "folder nesting deeper than 64 levels; not descended");
            return;
        }
        struct stat st;
        if (stat(dir.c_str(), &st) != 0) {
            skip(dir, TSC_EIO, std::string("cannot read folder: ") + strerror(errno));
            return;
        }
        if (!seen_dirs.insert({st.st_dev, st.st_ino}).second) return; /* symlink loop */
        DIR *d = opendir(dir.c_str());
        if (!d) {
            skip(dir, TSC_EIO, std::string("cannot read folder: ") + strerror(errno));
            return;
        }
        std::vector<std::string> names;
        while (struct dirent *e = readdir(d)) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            names.emplace_back(e->d_name);
        }
        closedir(d);
        std::sort(names.begin(), names.end());
        for (const std::string &name : names) {
            if (files.size() >= params->max_files) {
                skip(dir, TSC_ELIMIT, "more than " + std::to_string(params->max_files) +
                                          " files; the rest of the folder was not read");
                return;
            }
            std::string path = dir + "/" + name;
            struct stat fs;
            if (stat(path.c_str(), &fs) != 0) {
                /* Dangling symlink or a file that vanished. */
                skip(path, TSC_EIO, std::string("cannot read file: ") + strerror(errno));
                continue;
            }
            if (S_ISDIR(fs.st_mode)) {
                if (params->recursive) walk(path, depth + 1);
            } else if (S_ISREG(fs.st_mode)) {
                /* A DICOMDIR's referenced files are in the walk anyway. */
                if (is_dicomdir_name(name.c_str())) continue;
                if (is_temporary_name(name)) {
                    skip(path, TSC_EUNSUPPORTED,
                         "temporary file of an unfinished write (killed or crashed); ignored");
                    continue;
                }
                add_file(path);
            }
        }
    }

    void read_dicomdir(const std::string &path);
};

/* Resolves a DICOMDIR ReferencedFileID (components separated by '\\') below
 * `base`, tolerating the case differences that media often have. */
std::string resolve_file_id(const std::string &base, const std::string &file_id)
{
    std::string path = base;
    size_t start = 0;
    while (start <= file_id.size()) {
        size_t end = file_id.find('\\', start);
        if (end == std::string::npos) end = file_id.size();
        std::string comp = file_id.substr(start, end - start);
        start = end + 1;
        if (comp.empty()) continue;
        if (comp == "." || comp == "..") return std::string(); /* no escaping the medium */
        std::string exact = path + "/" + comp;
        if (access(exact.c_str(), F_OK) == 0) {
            path = exact;
            continue;
        }
        std::string found;
        if (DIR *d = opendir(path.c_str())) {
            while (struct dirent *e = readdir(d))
                if (strcasecmp(e->d_name, comp.c_str()) == 0) {
                    found = path + "/" + e->d_name;
                    break;
                }
            closedir(d);
        }
        path = found.empty() ? exact : found;
    }
    return path;
}

void Walker::read_dicomdir(const std::string &path)
{
    if (nested_too_deep(path)) {
        skip(path, TSC_ELIMIT, std::string("cannot read DICOMDIR: ") + DEEP_REASON);
        return;
    }
    DcmFileFormat ff;
    OFCondition c = ff.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (c.bad()) {
        skip(path, TSC_EFORMAT, "cannot read DICOMDIR: " + condition_text(c));
        return;
    }
    std::string base = path;
    size_t slash = base.find_last_of('/');
    base = slash == std::string::npos ? "." : base.substr(0, slash);
    DcmSequenceOfItems *records = nullptr;
    if (ff.getDataset()->findAndGetSequence(DCM_DirectoryRecordSequence, records).bad() ||
        !records) {
        skip(path, TSC_EFORMAT, "DICOMDIR has no directory records");
        return;
    }
    for (unsigned long i = 0; i < records->card(); i++) {
        DcmItem *rec = records->getItem(i);
        std::string file_id = get_string(rec, DCM_ReferencedFileID);
        if (file_id.empty()) continue;
        std::string ref = resolve_file_id(base, file_id);
        if (ref.empty()) {
            skip(path, TSC_EFORMAT, "DICOMDIR entry '" + file_id + "' leaves the medium");
            continue;
        }
        if (access(ref.c_str(), R_OK) != 0) {
            skip(ref, TSC_ENOTFOUND,
                 "DICOMDIR refers to a missing or unreadable file (" + file_id + ")");
            continue;
        }
        add_file(ref);
    }
}

/* Reads one file's header into slices of `series_map`. */
struct Indexer {
    tsc_dicom_index *index;
    const tsc_dicom_open_params *params;
    std::map<std::string, Patient> patients;
    std::map<std::string, Study> studies;
    std::map<std::string, Series> series; /* key: series UID + geometry key */
    std::map<std::string, std::string> sop_paths; /* SOPInstanceUID → first file */
    std::map<std::string, double> max_b;          /* SeriesInstanceUID → largest b-value */

    tsc_status read_file(const std::string &path, std::string *reason);
};

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
void slice_normal(const double *o, double *n);

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

/* Cheap check before DCMTK: a Part 10 file has "DICM" at offset 128; a bare
 * dataset starts with a group 0x0002 or 0x0008 tag in either byte order.
 * Anything else is not DICOM, and saying so beats DCMTK's stream errors. */
tsc_status sniff(const std::string &path, std::string *reason)
{
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) {
        *reason = std::string("cannot read file: ") + strerror(errno);
        return TSC_EIO;
    }
    unsigned char b[132];
    size_t n = fread(b, 1, sizeof b, f);
    fclose(f);
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        *reason = "gzip-compressed file: decompress it (gunzip) to read it";
        return TSC_EUNSUPPORTED;
    }
    if (n == sizeof b && memcmp(b + 128, "DICM", 4) == 0) return TSC_OK;
    if (n >= 8) {
        unsigned le = b[0] | (b[1] << 8), be = (b[0] << 8) | b[1];
        if (le == 0x0002 || le == 0x0008 || be == 0x0002 || be == 0x0008) return TSC_OK;
    }
    *reason = n < 8 ? "file too short to be DICOM"
                    : "not a DICOM file (no DICM preamble or DICOM tags at the start)";
    return TSC_EFORMAT;
}

tsc_status Indexer::read_file(const std::string &path, std::string *reason)
{
    tsc_status sn = sniff(path, reason);
    if (sn != TSC_OK) return sn;
    if (nested_too_deep(path)) {
        *reason = DEEP_REASON;
        return TSC_ELIMIT;
    }
    DcmFileFormat ff;
    /* Values over 4 KiB (pixel data, big private blobs) stay on disk. */
    OFCondition c = ff.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (c.bad()) {
        std::string t = condition_text(c);
        if (c == EC_InvalidStream || c == EC_StreamNotifyClient || contains(lower(t), "premature"))
            *reason = "truncated or corrupt DICOM file: " + t;
        else
            *reason = "not a readable DICOM file: " + t;
        return TSC_EFORMAT;
    }
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
    /* The same instance twice (a study copied twice under one folder): the
     * copy would double every slice into repeated positions. */
    if (!sop_uid.empty()) {
        auto dup = sop_paths.find(sop_uid);
        if (dup != sop_paths.end()) {
            /* Of two copies the longer one is kept: a copy cut short (a
             * failed transfer) must not hide the complete one, whichever
             * the folder walk met first. */
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
        }
    }
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
    if (frame_px * sizeof(float) > params->max_pixel_bytes || stored > params->max_pixel_bytes * 4) {
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

    /* Segmentations are results, not images: listed apart (tsc_dicom.h). */
    if (sop_class == UID_SegmentationStorage) {
        Seg g;
        tsc_status st = read_segmentation(ds, path, xfer_uid, base.rows, base.cols, base.n_frames,
                                          base.bits_allocated, &g, reason);
        if (st != TSC_OK) return st;
        index->segs.push_back(std::move(g));
        if (!sop_uid.empty()) sop_paths.emplace(sop_uid, path);
        return TSC_OK;
    }

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

    /* ---- patient / study / series ---- */
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
    std::string series_uid = get_string(ds, DCM_SeriesInstanceUID);
    if (series_uid.empty()) series_uid = "(no SeriesInstanceUID) " + study_uid;

    DcmItem *shared = first_item(ds, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems *per_frame = nullptr;
    ds->findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame);

    int n_mosaic = 0;
    double mosaic_count = 0;
    if (element_number(private_element(ds, 0x0019, 0x0A, "SIEMENS MR HEADER"), 'h', 0, &mosaic_count) &&
        mosaic_count >= 1 && mosaic_count <= 4096)
        n_mosaic = (int)mosaic_count;
    else if (has_value(base.image_type, "MOSAIC"))
        n_mosaic = 1; /* a mosaic whose tile count is not given */
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
        /* Series split key: sizes and orientation must agree within a series. */
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
            se.photometric = base.photometric;
            se.n_mosaic = n_mosaic;
        }
        s.contrast_label = contrast_label(ds, s, se.description, se.sequence_name, se.contrast_agent);
        if (s.b_value >= 0) {
            auto mb = max_b.emplace(series_uid, s.b_value).first;
            if (s.b_value > mb->second) mb->second = s.b_value;
        }
        se.slices.push_back(std::move(s));
    }
    if (!sop_uid.empty()) sop_paths.emplace(sop_uid, path);
    return TSC_OK;
}

/* Location of a slice along the series normal, in µm, for grouping. */
long long location_key(const Slice &s, const double *n)
{
    return llround((s.position[0] * n[0] + s.position[1] * n[1] + s.position[2] * n[2]) * 1000.0);
}

/* Do some positions hold more than one image?  (All slices need geometry.) */
bool positions_repeat(const std::vector<Slice> &slices)
{
    if (slices.size() < 2) return false;
    for (const Slice &s : slices)
        if (!(s.has_position && s.has_orientation)) return false;
    double n[3];
    slice_normal(slices[0].orientation, n);
    std::set<long long> seen;
    for (const Slice &s : slices)
        if (!seen.insert(location_key(s, n)).second) return true;
    return false;
}

/* Magnitude, phase, real or imaginary, from ComplexImageComponent or the
 * third value of ImageType; "" when not said. */
std::string complex_kind(const Slice &s)
{
    std::string c = lower(s.complex_kind);
    if (c == "magnitude" || c == "phase" || c == "real" || c == "imaginary") return c;
    if (has_value(s.image_type, "P") || has_value(s.image_type, "PHASE")) return "phase";
    if (has_value(s.image_type, "M") || has_value(s.image_type, "MAGNITUDE")) return "magnitude";
    if (has_value(s.image_type, "R") || has_value(s.image_type, "REAL")) return "real";
    if (has_value(s.image_type, "I") || has_value(s.image_type, "IMAGINARY")) return "imaginary";
    return "";
}

std::string fmt(const char *format, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, format, v);
    return buf;
}

struct Variant {
    std::string label;
    std::vector<Slice> slices;
};

/* Images at the same positions that differ in echo, b-value or diffusion
 * direction, magnitude/phase, or ASL label/control are different images, not
 * repetitions: one group per combination of what varies, named for it.
 * Returns no group when nothing of that kind varies (or positions do not
 * repeat). */
std::vector<Variant> split_variants(const std::vector<Slice> &slices)
{
    std::vector<Variant> out;
    if (!positions_repeat(slices)) return out;
    enum { ECHO, BVAL, BDIR, KIND, ASL, N_DIM };
    auto key = [](const Slice &s, int d) -> std::string {
        switch (d) {
        case ECHO:
            return s.echo_number > 0 ? "n" + std::to_string(s.echo_number)
                   : s.echo_time > 0 ? fmt("t%.2f", s.echo_time) : "";
        case BVAL: return s.b_value >= 0 ? fmt("%.0f", s.b_value) : "";
        case BDIR:
            return s.has_b_dir ? fmt("%.3f", s.b_dir[0]) + "," + fmt("%.3f", s.b_dir[1]) + "," +
                                     fmt("%.3f", s.b_dir[2])
                               : "";
        case KIND: return complex_kind(s);
        default: return lower(s.asl_context);
        }
    };
    bool varies[N_DIM];
    bool any = false;
    for (int d = 0; d < N_DIM; d++) {
        std::set<std::string> values;
        for (const Slice &s : slices) values.insert(key(s, d));
        varies[d] = values.size() > 1;
        any |= varies[d];
    }
    if (!any) return out;
    /* Groups in acquisition order (InstanceNumber), so that echo 1 comes
     * before echo 2 and directions are numbered as acquired. */
    std::vector<const Slice *> order;
    for (const Slice &s : slices) order.push_back(&s);
    std::stable_sort(order.begin(), order.end(), [](const Slice *a, const Slice *b) {
        if (a->instance_number != b->instance_number) return a->instance_number < b->instance_number;
        return a->frame < b->frame;
    });
    std::map<std::string, size_t> group_of;
    std::vector<std::string> group_keys;
    std::map<std::string, std::vector<std::string>> dirs_of_b; /* b → directions, in order */
    std::vector<double> echo_times; /* distinct TEs, for numbering echoes without EchoNumbers */
    for (const Slice *s : order) {
        std::string k;
        for (int d = 0; d < N_DIM; d++)
            if (varies[d]) k += key(*s, d) + "|";
        if (group_of.emplace(k, out.size()).second) {
            out.emplace_back();
            group_keys.push_back(k);
            if (varies[BDIR]) {
                std::vector<std::string> &v = dirs_of_b[key(*s, BVAL)];
                if (std::find(v.begin(), v.end(), key(*s, BDIR)) == v.end()) v.push_back(key(*s, BDIR));
            }
            if (varies[ECHO] && s->echo_time > 0 &&
                std::find(echo_times.begin(), echo_times.end(), s->echo_time) == echo_times.end())
                echo_times.push_back(s->echo_time);
        }
        out[group_of[k]].slices.push_back(*s);
    }
    std::sort(echo_times.begin(), echo_times.end());
    for (Variant &g : out) {
        const Slice &s = g.slices[0];
        std::vector<std::string> parts;
        if (varies[ECHO]) {
            int number = s.echo_number;
            if (number <= 0)
                number = 1 + (int)(std::find(echo_times.begin(), echo_times.end(), s.echo_time) -
                                   echo_times.begin());
            std::string e = "echo " + std::to_string(number);
            if (s.echo_time > 0) e += " (TE " + fmt("%g", s.echo_time) + " ms)";
            parts.push_back(e);
        }
        if (varies[BVAL] || (varies[BDIR] && s.b_value >= 0)) parts.push_back("b = " + fmt("%g", s.b_value));
        if (varies[BDIR]) {
            const std::vector<std::string> &v = dirs_of_b[key(s, BVAL)];
            if (v.size() > 1) {
                size_t i = (size_t)(std::find(v.begin(), v.end(), key(s, BDIR)) - v.begin());
                parts.push_back("direction " + std::to_string(i + 1) + " of " + std::to_string(v.size()));
            }
        }
        if (varies[KIND] && !complex_kind(s).empty()) parts.push_back(complex_kind(s));
        if (varies[ASL] && !s.asl_context.empty()) parts.push_back(lower(s.asl_context));
        for (const std::string &p : parts) {
            if (!g.label.empty()) g.label += ", ";
            g.label += p;
        }
    }
    return out;
}

/* Is every position's set of images told apart by `get` (all present and
 * distinct)?  That is what makes a repetition a time series. */
template <typename Get>
bool distinct_at_each_position(const std::vector<Slice> &slices, Get get)
{
    double n[3];
    slice_normal(slices[0].orientation, n);
    std::map<long long, std::set<std::string>> at;
    std::map<long long, size_t> count;
    for (const Slice &s : slices) {
        std::string v = get(s);
        if (v.empty()) return false;
        long long k = location_key(s, n);
        at[k].insert(v);
        count[k]++;
    }
    for (auto &kv : count)
        if (at[kv.first].size() != kv.second) return false;
    return true;
}

/* A run repeated at the same positions becomes one volume per repetition:
 * the k-th image at each position, in (temporal position, acquisition time,
 * InstanceNumber) order, belongs to volume k.  Returns the volumes, or an
 * empty vector when positions do not repeat evenly.  *kind says what the
 * repetitions are: "time point" (TemporalPositionIdentifier or
 * AcquisitionTime tell them apart), "diffusion volume" (a diffusion series
 * whose directions are not in the headers), else "repetition" (nothing in
 * the headers says why the positions repeat). */
std::vector<std::vector<Slice>> split_repeats(std::vector<Slice> &slices, std::string *kind)
{
    std::vector<std::vector<Slice>> out;
    if (!positions_repeat(slices)) return out;
    double n[3];
    slice_normal(slices[0].orientation, n);
    std::map<long long, std::vector<Slice *>> at; /* location in µm → slices */
    for (Slice &s : slices) at[location_key(s, n)].push_back(&s);
    size_t k = at.begin()->second.size();
    if (k < 2) return out;
    for (auto &kv : at)
        if (kv.second.size() != k) return out;
    out.resize(k);
    for (auto &kv : at) {
        std::vector<Slice *> &v = kv.second;
        std::stable_sort(v.begin(), v.end(), [](const Slice *a, const Slice *b) {
            if (a->temporal_position != b->temporal_position)
                return a->temporal_position < b->temporal_position;
            if (a->acquisition_time != b->acquisition_time)
                return a->acquisition_time < b->acquisition_time;
            if (a->instance_number != b->instance_number) return a->instance_number < b->instance_number;
            return a->frame < b->frame;
        });
        for (size_t i = 0; i < k; i++) out[i].push_back(*v[i]);
    }
    bool diffusion = false;
    for (const Slice &s : slices)
        diffusion |= s.b_value > 0 || has_value(s.image_type, "DIFFUSION");
    if (diffusion)
        *kind = "diffusion volume";
    else if (distinct_at_each_position(slices, [](const Slice &s) {
                 return s.temporal_position >= 0 ? std::to_string(s.temporal_position) : std::string();
             }) ||
             distinct_at_each_position(slices, [](const Slice &s) { return s.acquisition_time; }))
        *kind = "time point";
    else
        *kind = "repetition";
    return out;
}

/* Orders slices along the normal, computes spacing and flags. */
void finish_series(Series &se)
{
    bool all_geom = true;
    for (Slice &s : se.slices)
        if (!(s.has_position && s.has_orientation)) all_geom = false;
    unsigned flags = 0;
    if (all_geom) {
        double n[3];
        slice_normal(se.slices[0].orientation, n);
        for (Slice &s : se.slices)
            s.location = s.position[0] * n[0] + s.position[1] * n[1] + s.position[2] * n[2];
        std::stable_sort(se.slices.begin(), se.slices.end(), [](const Slice &a, const Slice &b) {
            if (a.location != b.location) return a.location < b.location;
            if (a.instance_number != b.instance_number) return a.instance_number < b.instance_number;
            return a.frame < b.frame;
        });
    } else {
        flags |= TSC_DICOM_SERIES_ORDER_BY_INSTANCE;
        std::stable_sort(se.slices.begin(), se.slices.end(), [](const Slice &a, const Slice &b) {
            if (a.instance_number != b.instance_number) return a.instance_number < b.instance_number;
            if (a.path != b.path) return a.path < b.path;
            return a.frame < b.frame;
        });
    }
    double spacing = 0;
    if (all_geom && se.slices.size() > 1) {
        std::vector<double> d;
        for (size_t i = 1; i < se.slices.size(); i++)
            d.push_back(se.slices[i].location - se.slices[i - 1].location);
        std::vector<double> sorted = d;
        std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
        spacing = sorted[sorted.size() / 2];
        for (double x : d)
            if (std::fabs(x - spacing) > 0.1 * std::fabs(spacing) + 1e-3)
                flags |= TSC_DICOM_SERIES_UNEVEN_SPACING;
    }
    std::set<std::string> xfers;
    for (const Slice &s : se.slices) {
        if (s.n_frames > 1) flags |= TSC_DICOM_SERIES_MULTIFRAME;
        if (s.samples_per_pixel == 3) flags |= TSC_DICOM_SERIES_COLOR;
        xfers.insert(tsc_dicom_transfer_syntax_name(s.transfer_syntax_uid.c_str()));
    }
    for (const std::string &x : xfers) {
        if (!se.transfer_syntaxes.empty()) se.transfer_syntaxes += ", ";
        se.transfer_syntaxes += x;
    }
    if (se.part > 0) flags |= TSC_DICOM_SERIES_SPLIT;
    if (se.repeat > 0) flags |= TSC_DICOM_SERIES_REPEAT;
    if (se.variant_no > 0) flags |= TSC_DICOM_SERIES_VARIANT;
    se.info.flags = flags;
    se.info.slice_spacing = std::fabs(spacing);
}

} // namespace

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
}

/* A DICOMDIR under another name (copied media, "dicomdir.dat"): its meta
 * header names the Media Storage Directory SOP class. */
static bool is_dicomdir_file(const std::string &path)
{
    std::string why;
    if (sniff(path, &why) != TSC_OK) return false;
    DcmMetaInfo meta;
    if (meta.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 256).bad()) return false;
    return get_string(&meta, DCM_MediaStorageSOPClassUID) == UID_MediaStorageDirectoryStorage;
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
    auto patient_rank = [ix](const std::string &key) {
        for (size_t i = 0; i < ix->patients.size(); i++)
            if (ix->patients[i].key == key) return i;
        return ix->patients.size();
    };
    std::sort(ix->studies.begin(), ix->studies.end(), [&](const Study &a, const Study &b) {
        size_t pa = patient_rank(a.patient_key), pb = patient_rank(b.patient_key);
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
    auto study_rank = [ix](const std::string &uid) {
        for (size_t i = 0; i < ix->studies.size(); i++)
            if (ix->studies[i].uid == uid) return i;
        return ix->studies.size();
    };
    std::stable_sort(ix->series.begin(), ix->series.end(), [&](const Series &a, const Series &b) {
        size_t sa = study_rank(a.study_key), sb = study_rank(b.study_key);
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
