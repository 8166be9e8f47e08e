/* SPDX-License-Identifier: BSD-3-Clause */
/* Writing MR Image and Enhanced MR Image series with DCMTK.
 *
 * The images are DERIVED (made from PNG slices or a resampled NIfTI volume,
 * not acquired), which is also what keeps the IODs honest: the MR
 * acquisition attributes that are Type 1 only for ORIGINAL images are left
 * out, and the Type 2 ones are written empty. */
#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrleerg.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>
#include <dcmtk/oflog/oflog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "dcmtk_private.h"
#include "ds_private.h"
#include "firewall_private.h"
#include "struct_size_private.h"
#include "tsc_dicom_write.h"
#include "tsc_io.h"
#include "tsc_log.h"
#include "tsc_sha256.h"

static const char LOG_DOMAIN[] = "dicom-write";

namespace {

tsc__dcmtk_codecs encoders([] {
    DJLSEncoderRegistration::cleanup();
    DJEncoderRegistration::cleanup();
    DcmRLEEncoderRegistration::cleanup();
});

void register_encoders()
{
    encoders.ensure([] {
        DJLSEncoderRegistration::registerCodecs();
        DJEncoderRegistration::registerCodecs();
        DcmRLEEncoderRegistration::registerCodecs();
    });
}

std::string tag_name(const DcmTagKey &key)
{
    DcmTag tag(key);
    const char *n = tag.getTagName();
    return n ? n : key.toString().c_str();
}

const char *or_empty(const char *s)
{
    return s ? s : "";
}

bool is_ascii(const char *s)
{
    for (; s && *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

bool is_valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        int n = *p < 0x80 ? 0 : (*p >> 5) == 6 ? 1 : (*p >> 4) == 14 ? 2 : (*p >> 3) == 30 ? 3 : -1;
        if (n < 0) return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xC0) != 0x80) return false;
    }
    return true;
}

size_t utf8_length(const std::string &s)
{
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) n++;
    return n;
}

/* Why a user-supplied text cannot be a value of `vr` ("" when it can):
 * DCMTK's own check does not enforce lengths, and a backslash would split
 * the value in two.  Never quotes the value (it may identify a patient). */
std::string check_text(DcmEVR vr, const std::string &value)
{
    size_t max = 0;
    bool single_line = true;
    switch (vr) {
    case EVR_SH:
    case EVR_CS: max = 16; break;
    case EVR_LO: max = 64; break;
    case EVR_PN: max = 64; break; /* per component group */
    case EVR_ST: max = 1024; single_line = false; break;
    default: return "";
    }
    for (unsigned char c : value) {
        if (c == '\\') return "the value must not contain a backslash";
        if (c < 0x20 && (single_line || (c != '\n' && c != '\r' && c != '\t')))
            return "the value must not contain control characters";
    }
    if (vr == EVR_CS)
        for (unsigned char c : value)
            if (!(isupper(c) || isdigit(c) || c == ' ' || c == '_'))
                return "only upper-case letters, digits, space and _ are allowed";
    if (vr == EVR_PN) {
        size_t start = 0;
        for (;;) {
            size_t end = value.find('=', start);
            std::string group = value.substr(start, end == std::string::npos ? std::string::npos : end - start);
            if (utf8_length(group) > max) return "too long (at most 64 characters per name)";
            if (std::count(group.begin(), group.end(), '^') > 4)
                return "too many components (at most 5, separated by ^)";
            if (end == std::string::npos) break;
            start = end + 1;
        }
        return "";
    }
    if (utf8_length(value) > max)
        return "too long (at most " + std::to_string(max) + " characters)";
    return "";
}

/* ---- UIDs ----------------------------------------------------------------- */

/* 16 big-endian bytes as a decimal string. */
std::string decimal_of(const uint8_t bytes[16])
{
    uint8_t n[16];
    memcpy(n, bytes, 16);
    std::string digits;
    bool zero = false;
    while (!zero) {
        unsigned rem = 0;
        zero = true;
        for (int i = 0; i < 16; i++) {
            unsigned cur = rem * 256 + n[i];
            n[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            if (n[i]) zero = false;
        }
        digits.push_back((char)('0' + rem));
    }
    std::reverse(digits.begin(), digits.end());
    return digits;
}

void seeded_bytes(const char *seed, const char *purpose, uint8_t out[32])
{
    tsc_sha256_ctx ctx;
    tsc_sha256_init(&ctx);
    static const char domain[] = "tumorscope dicomize uid v1";
    tsc_sha256_update(&ctx, domain, sizeof domain);
    tsc_sha256_update(&ctx, seed, strlen(seed) + 1);
    tsc_sha256_update(&ctx, purpose, strlen(purpose) + 1);
    tsc_sha256_final(&ctx, out);
}

bool random_bytes(uint8_t *out, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f) return false;
    bool ok = fread(out, 1, n, f) == n;
    fclose(f);
    return ok;
}

tsc_status make_uid(const char *root, const char *seed, const char *purpose, char uid[65],
                    tsc_error *err)
{
    uid[0] = '\0';
    if (root && *root) {
        if (!tsc_dicom_write_uid_is_valid(root) || strlen(root) > 24)
            return tsc_error_set(err, TSC_EINVAL,
                                 "UID root '%s' is not a valid UID of at most 24 characters "
                                 "(room is needed for the generated part)",
                                 root);
        if (seed) {
            uint8_t h[32];
            seeded_bytes(seed, purpose, h);
            uint64_t v = 0;
            for (int i = 0; i < 8; i++) v = (v << 8) | h[i];
            snprintf(uid, 65, "%s.%llu", root, (unsigned long long)(v >> 1));
        } else {
            dcmGenerateUniqueIdentifier(uid, root);
        }
    } else {
        /* A UUID as "2.25.<decimal>" (PS3.5 B.2): version 8 (name-based,
         * SHA-256) with a seed, version 4 (random) without. */
        uint8_t b[32];
        if (seed) {
            seeded_bytes(seed, purpose, b);
            b[6] = (uint8_t)((b[6] & 0x0F) | 0x80);
        } else {
            if (!random_bytes(b, 16))
                return tsc_error_set(err, TSC_EIO, "cannot read /dev/urandom to make a UID");
            b[6] = (uint8_t)((b[6] & 0x0F) | 0x40);
        }
        b[8] = (uint8_t)((b[8] & 0x3F) | 0x80);
        snprintf(uid, 65, "2.25.%s", decimal_of(b).c_str());
    }
    if (!tsc_dicom_write_uid_is_valid(uid))
        return tsc_error_set(err, TSC_EINTERNAL, "generated UID '%s' is invalid", uid);
    return TSC_OK;
}

/* ---- dates ---------------------------------------------------------------- */

bool valid_date(const char *s)
{
    if (strlen(s) != 8) return false;
    for (int i = 0; i < 8; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    int y = atoi(std::string(s, 4).c_str()), m = atoi(std::string(s + 4, 2).c_str()),
        d = atoi(std::string(s + 6, 2).c_str());
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1800 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
}

bool valid_time(const char *s)
{
    size_t n = strlen(s);
    if (n != 2 && n != 4 && n != 6) return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    int hh = (s[0] - '0') * 10 + (s[1] - '0');
    int mm = n >= 4 ? (s[2] - '0') * 10 + (s[3] - '0') : 0;
    int ss = n >= 6 ? (s[4] - '0') * 10 + (s[5] - '0') : 0;
    return hh < 24 && mm < 60 && ss < 60;
}

/* Today, or SOURCE_DATE_EPOCH (reproducible builds) when set. */
void default_date_time(std::string &date, std::string &time_of_day)
{
    time_t t = ::time(NULL);
    struct tm tmv;
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end = NULL;
    long long e = sde ? strtoll(sde, &end, 10) : 0;
    if (sde && *sde && end && !*end && e >= 0) {
        t = (time_t)e;
        gmtime_r(&t, &tmv);
    } else {
        localtime_r(&t, &tmv);
    }
    char buf[16];
    strftime(buf, sizeof buf, "%Y%m%d", &tmv);
    date = buf;
    strftime(buf, sizeof buf, "%H%M%S", &tmv);
    time_of_day = buf;
}

void zero_jpeg_padding(DcmDataset *ds, E_TransferSyntax xfer);

/* ---- dataset building ------------------------------------------------------ */

struct Writer {
    const tsc_dicom_write_params *p;
    const tsc_dicom_write_volume *v;
    tsc_error *err;
    std::string study_uid, series_uid, for_uid, dim_uid, date, time_of_day;
    std::string charset;
    std::vector<std::string> instance_uids;
    std::vector<int32_t> stored;           /* all slices, clipped */
    size_t n_clipped = 0;
    int bits_stored = 16;
    double slope = 1, intercept = 0;
    bool write_rescale = false;
    double wc = 0, ww = 0;
    double thickness = 0, spacing = 0;
    double normal[3] = {0, 0, 1};
    std::string contrast_term;             /* AcquisitionContrast / image flavor */

    tsc_status fail(tsc_status st, const std::string &msg)
    {
        return tsc_error_set(err, st, "%s", msg.c_str());
    }

    /* Inserts a string; `check` validates user-supplied values against the
     * VR (the message never quotes the value: it may identify a patient). */
    tsc_status put(DcmItem *item, const DcmTagKey &key, const std::string &value,
                   bool check = false)
    {
        OFCondition c = item->putAndInsertString(key, value.c_str());
        if (c.bad())
            return fail(TSC_EINVAL,
                        tag_name(key) + ": the value cannot be stored: " + tsc__condition_text(c));
        if (check && !value.empty()) {
            DcmElement *el = NULL;
            if (item->findAndGetElement(key, el).good() && el) {
                std::string why = check_text(el->getVR(), value);
                if (!why.empty()) return fail(TSC_EINVAL, tag_name(key) + ": " + why);
                c = el->checkValue("1");
                if (c.bad())
                    return fail(TSC_EINVAL, tag_name(key) +
                                                ": the value is not valid for its "
                                                "DICOM type (" +
                                                tsc__condition_text(c) + ")");
            }
        }
        return TSC_OK;
    }

    tsc_status put_u16(DcmItem *item, const DcmTagKey &key, Uint16 value)
    {
        OFCondition c = item->putAndInsertUint16(key, value);
        if (c.bad()) return fail(TSC_EINTERNAL, tag_name(key) + ": " + tsc__condition_text(c));
        return TSC_OK;
    }

    tsc_status put_empty_seq(DcmItem *item, const DcmTagKey &key)
    {
        OFCondition c = item->insertEmptyElement(key);
        if (c.bad()) return fail(TSC_EINTERNAL, tag_name(key) + ": " + tsc__condition_text(c));
        return TSC_OK;
    }

    /* Appends an item to a sequence (created when missing). */
    DcmItem *new_item(DcmItem *parent, const DcmTagKey &seq)
    {
        DcmItem *item = NULL;
        OFCondition c = parent->findOrCreateSequenceItem(seq, item, -2);
        if (c.bad() || !item) {
            fail(TSC_EINTERNAL, tag_name(seq) + ": " + tsc__condition_text(c));
            return NULL;
        }
        return item;
    }

    tsc_status put_code(DcmItem *parent, const DcmTagKey &seq, const char *value,
                        const char *scheme, const char *meaning)
    {
        DcmItem *it = new_item(parent, seq);
        if (!it) return TSC_EINTERNAL;
        tsc_status st;
        if ((st = put(it, DCM_CodeValue, value)) || (st = put(it, DCM_CodingSchemeDesignator, scheme)) ||
            (st = put(it, DCM_CodeMeaning, meaning)))
            return st;
        return TSC_OK;
    }

    /* Ten significant digits keep sub-micrometre precision; rounding noise
     * of the geometry (under 5e-11) is written as 0. */
    static std::string fmt(double x)
    {
        return tsc__ds(x, 5e-11);
    }
    static std::string ds_list(const double *x, int n)
    {
        return tsc__ds_list(x, n, 5e-11);
    }

    /* Enhanced MR Image Type / Frame Type: value 3 is the image flavour. */
    std::string frame_type() const
    {
        return "DERIVED\\PRIMARY\\" + (contrast_term == "UNKNOWN" ? std::string("VOLUME") : contrast_term) +
               "\\NONE";
    }

    tsc_status validate();
    tsc_status prepare();
    void compute_window();
    tsc_status put_common(DcmItem *ds, const char *sop_class, size_t instance);
    tsc_status put_pixels(DcmItem *ds, size_t first, size_t count);
    tsc_status build_classic(DcmItem *ds, size_t k);
    tsc_status build_enhanced(DcmItem *ds);
    tsc_status save(DcmFileFormat &ff, const std::string &path);
};

tsc_status Writer::validate()
{
    if (v->cols < 1 || v->rows < 1 || v->cols > 65535 || v->rows > 65535)
        return fail(TSC_EINVAL, "image size " + std::to_string(v->cols) + "x" +
                                    std::to_string(v->rows) + " is not between 1 and 65535");
    if (v->n_slices < 1) return fail(TSC_EINVAL, "no slices to write");
    if (p->multiframe && v->n_slices > 99999)
        return fail(TSC_ELIMIT, "too many frames for one object");
    if ((double)v->n_slices * v->rows * v->cols * 2 > 4.0e9)
        return fail(TSC_ELIMIT, "the series would exceed 4 GB of pixel data");
    for (int i = 0; i < 2; i++)
        if (!(p->pixel_spacing[i] > 0) || !std::isfinite(p->pixel_spacing[i]))
            return fail(TSC_EINVAL, "pixel spacing must be positive (mm)");
    if (p->slice_thickness < 0 || !std::isfinite(p->slice_thickness) || p->slice_spacing < 0 ||
        !std::isfinite(p->slice_spacing))
        return fail(TSC_EINVAL, "slice thickness and spacing must not be negative");
    const double *o = p->orientation;
    double rr = o[0] * o[0] + o[1] * o[1] + o[2] * o[2];
    double cc = o[3] * o[3] + o[4] * o[4] + o[5] * o[5];
    double rc = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
    if (std::fabs(rr - 1) > 1e-3 || std::fabs(cc - 1) > 1e-3 || std::fabs(rc) > 1e-3)
        return fail(TSC_EINVAL, "orientation must be two orthogonal unit vectors");
    for (size_t k = 0; k < 3 * v->n_slices; k++)
        if (!std::isfinite(v->positions[k])) return fail(TSC_EINVAL, "a slice position is not finite");
    if (!(p->rescale_slope != 0) || !std::isfinite(p->rescale_slope) ||
        !std::isfinite(p->rescale_intercept))
        return fail(TSC_EINVAL, "rescale slope must be non-zero and finite");
    if (p->birth_date && *p->birth_date && !valid_date(p->birth_date))
        return fail(TSC_EINVAL, "PatientBirthDate: expected YYYYMMDD");
    if (p->study_date && *p->study_date && !valid_date(p->study_date))
        return fail(TSC_EINVAL, "StudyDate: expected YYYYMMDD");
    if (p->study_time && *p->study_time && !valid_time(p->study_time))
        return fail(TSC_EINVAL, "StudyTime: expected HHMMSS");
    if (p->sex && *p->sex && strcmp(p->sex, "M") && strcmp(p->sex, "F") && strcmp(p->sex, "O"))
        return fail(TSC_EINVAL, "PatientSex: expected M, F or O");
    if (p->study_uid && *p->study_uid && !tsc_dicom_write_uid_is_valid(p->study_uid))
        return fail(TSC_EINVAL, "StudyInstanceUID: not a valid UID");
    if (p->frame_of_reference_uid && *p->frame_of_reference_uid &&
        !tsc_dicom_write_uid_is_valid(p->frame_of_reference_uid))
        return fail(TSC_EINVAL, "FrameOfReferenceUID: not a valid UID");
    if (p->series_number < 0) return fail(TSC_EINVAL, "SeriesNumber must not be negative");
    const char *texts[] = {p->patient_name, p->patient_id, p->study_description, p->study_id,
                           p->accession, p->institution, p->series_description, p->manufacturer,
                           p->model_name, p->software_versions, p->sequence_name,
                           p->contrast_agent, p->body_part, p->derivation};
    for (const char *t : texts)
        if (t && !is_valid_utf8(t)) return fail(TSC_EINVAL, "a text value is not valid UTF-8");
    for (const char *t : texts)
        if (t && !is_ascii(t)) charset = "ISO_IR 192";
    return TSC_OK;
}

/* Acquisition contrast (Enhanced MR) guessed from the description. */
static std::string guess_contrast(const std::string &text)
{
    std::string t;
    for (char c : text) t += (char)tolower((unsigned char)c);
    auto has = [&](const char *s) { return t.find(s) != std::string::npos; };
    if (has("flair")) return "FLUID_ATTENUATED";
    if (has("dwi") || has("diffusion")) return "DIFFUSION";
    if (has("t2*") || has("t2 star") || has("t2star")) return "T2_STAR";
    if (has("t1")) return "T1";
    if (has("t2")) return "T2";
    if (has("pd") || has("proton density")) return "PROTON_DENSITY";
    return "UNKNOWN";
}

tsc_status Writer::prepare()
{
    tsc_status st;
    const char *seed = p->uid_seed && *p->uid_seed ? p->uid_seed : NULL;
    const char *root = p->uid_root && *p->uid_root ? p->uid_root : NULL;
    char uid[65];
    std::string series_key = "series " + std::to_string(p->series_number);
    if (p->study_uid && *p->study_uid) {
        study_uid = p->study_uid;
    } else {
        if ((st = make_uid(root, seed, "study", uid, err))) return st;
        study_uid = uid;
    }
    if (p->frame_of_reference_uid && *p->frame_of_reference_uid) {
        for_uid = p->frame_of_reference_uid;
    } else {
        if ((st = make_uid(root, seed, "frame of reference", uid, err))) return st;
        for_uid = uid;
    }
    if ((st = make_uid(root, seed, series_key.c_str(), uid, err))) return st;
    series_uid = uid;
    if ((st = make_uid(root, seed, (series_key + " dimension organization").c_str(), uid, err)))
        return st;
    dim_uid = uid;
    size_t n_inst = p->multiframe ? 1 : v->n_slices;
    for (size_t k = 0; k < n_inst; k++) {
        std::string purpose = series_key + " instance " + std::to_string(k + 1);
        if ((st = make_uid(root, seed, purpose.c_str(), uid, err))) return st;
        instance_uids.push_back(uid);
    }
    if (p->study_date && *p->study_date) {
        date = p->study_date;
        time_of_day = p->study_time && *p->study_time ? p->study_time : "000000";
    } else {
        default_date_time(date, time_of_day);
        if (p->study_time && *p->study_time) time_of_day = p->study_time;
    }

    /* Geometry: the normal orders the slices; spacing from the positions
     * unless given. */
    const double *o = p->orientation;
    normal[0] = o[1] * o[5] - o[2] * o[4];
    normal[1] = o[2] * o[3] - o[0] * o[5];
    normal[2] = o[0] * o[4] - o[1] * o[3];
    spacing = p->slice_spacing;
    if (spacing <= 0 && v->n_slices > 1) {
        const double *a = v->positions, *b = v->positions + 3 * (v->n_slices - 1);
        double d = 0;
        for (int i = 0; i < 3; i++) d += (b[i] - a[i]) * normal[i];
        spacing = std::fabs(d) / (double)(v->n_slices - 1);
    }
    thickness = p->slice_thickness > 0 ? p->slice_thickness : spacing;

    /* Stored values. */
    slope = p->rescale_slope;
    intercept = p->rescale_intercept;
    write_rescale = p->write_rescale || slope != 1.0 || intercept != 0.0;
    long lo = p->pixel_signed ? -32768 : 0, hi = p->pixel_signed ? 32767 : 65535;
    size_t n = v->n_slices * (size_t)v->rows * (size_t)v->cols;
    stored.resize(n);
    long smin = hi, smax = lo;
    for (size_t i = 0; i < n; i++) {
        double x = v->values[i];
        if (!std::isfinite(x)) x = 0;
        double s = std::nearbyint((x - intercept) / slope);
        long q;
        if (s < lo) {
            q = lo;
            n_clipped++;
        } else if (s > hi) {
            q = hi;
            n_clipped++;
        } else {
            q = (long)s;
        }
        stored[i] = (int32_t)q;
        if (q < smin) smin = q;
        if (q > smax) smax = q;
    }
    bits_stored = (!p->pixel_signed && smax <= 4095) ? 12 : 16;
    if (n_clipped)
        tsc_log(TSC_LOG_WARNING, LOG_DOMAIN,
                "%zu value(s) outside the stored range were clipped (series %d)", n_clipped,
                p->series_number);
    compute_window();
    contrast_term = guess_contrast(std::string(or_empty(p->series_description)) + " " +
                                   or_empty(p->sequence_name));
    return TSC_OK;
}

/* The window covers the 0.5..99.5 percentiles of the non-background pixels
 * (background: the smallest stored value, typically air). */
void Writer::compute_window()
{
    if (p->window_width > 0) {
        wc = p->window_center;
        ww = p->window_width;
        return;
    }
    const long offset = p->pixel_signed ? 32768 : 0;
    std::vector<size_t> hist(65536, 0);
    long smin = 65536;
    for (int32_t s : stored) {
        hist[(size_t)(s + offset)]++;
        if (s < smin) smin = s;
    }
    size_t total = stored.size() - hist[(size_t)(smin + offset)];
    double lo_v, hi_v;
    if (total == 0) {
        lo_v = hi_v = smin * slope + intercept;
    } else {
        size_t lo_rank = (size_t)(0.005 * (double)total), hi_rank = (size_t)(0.995 * (double)total);
        size_t acc = 0;
        long lo_s = smin, hi_s = smin;
        bool lo_found = false;
        for (long s = smin + 1; s + offset < 65536; s++) {
            acc += hist[(size_t)(s + offset)];
            if (!lo_found && acc > lo_rank) {
                lo_s = s;
                lo_found = true;
            }
            if (acc > hi_rank || acc == total) {
                hi_s = s;
                break;
            }
        }
        lo_v = lo_s * slope + intercept;
        hi_v = hi_s * slope + intercept;
    }
    if (lo_v > hi_v) std::swap(lo_v, hi_v);
    ww = std::max(hi_v - lo_v, std::fabs(slope));
    wc = (lo_v + hi_v) / 2;
    /* Whole numbers read better in viewers' window readouts. */
    if (std::fabs(slope) >= 1 && slope == std::floor(slope) && intercept == std::floor(intercept)) {
        wc = std::floor(wc + 0.5);
        ww = std::floor(ww + 0.5);
    }
}

tsc_status Writer::put_common(DcmItem *ds, const char *sop_class, size_t instance)
{
    tsc_status st;
#define PUT(...)                                    \
    do {                                            \
        if ((st = put(ds, __VA_ARGS__))) return st; \
    } while (0)
    if (!charset.empty()) PUT(DCM_SpecificCharacterSet, charset);
    if (p->multiframe)
        PUT(DCM_ImageType, frame_type());
    else
        PUT(DCM_ImageType, std::string("DERIVED\\PRIMARY\\") +
                               (p->image_type3 && *p->image_type3 ? p->image_type3 : "OTHER"));
    PUT(DCM_SOPClassUID, sop_class);
    PUT(DCM_SOPInstanceUID, instance_uids[instance]);
    PUT(DCM_StudyDate, date);
    PUT(DCM_SeriesDate, date);
    PUT(DCM_ContentDate, date);
    PUT(DCM_StudyTime, time_of_day);
    PUT(DCM_SeriesTime, time_of_day);
    PUT(DCM_ContentTime, time_of_day);
    PUT(DCM_AccessionNumber, or_empty(p->accession), true);
    PUT(DCM_Modality, "MR");
    PUT(DCM_Manufacturer, p->manufacturer ? p->manufacturer : "tumorscope", true);
    if (p->institution && *p->institution) PUT(DCM_InstitutionName, p->institution, true);
    PUT(DCM_ReferringPhysicianName, "");
    if (p->study_description && *p->study_description)
        PUT(DCM_StudyDescription, p->study_description, true);
    if (p->series_description && *p->series_description)
        PUT(DCM_SeriesDescription, p->series_description, true);
    PUT(DCM_ManufacturerModelName, p->model_name ? p->model_name : "tumorscope dicomize", true);
    PUT(DCM_PatientName, or_empty(p->patient_name), true);
    PUT(DCM_PatientID, or_empty(p->patient_id), true);
    PUT(DCM_PatientBirthDate, or_empty(p->birth_date));
    PUT(DCM_PatientSex, or_empty(p->sex));
    PUT(DCM_BodyPartExamined, p->body_part ? p->body_part : "HEAD", true);
    PUT(DCM_SoftwareVersions, p->software_versions ? p->software_versions : "tumorscope", true);
    PUT(DCM_PatientPosition, "HFS");
    PUT(DCM_StudyInstanceUID, study_uid);
    PUT(DCM_SeriesInstanceUID, series_uid);
    PUT(DCM_StudyID, or_empty(p->study_id), true);
    PUT(DCM_SeriesNumber, std::to_string(p->series_number));
    PUT(DCM_InstanceNumber, std::to_string(instance + 1));
    PUT(DCM_FrameOfReferenceUID, for_uid);
    PUT(DCM_PositionReferenceIndicator, "");
    if ((st = put_u16(ds, DCM_SamplesPerPixel, 1))) return st;
    PUT(DCM_PhotometricInterpretation, "MONOCHROME2");
    if ((st = put_u16(ds, DCM_Rows, (Uint16)v->rows))) return st;
    if ((st = put_u16(ds, DCM_Columns, (Uint16)v->cols))) return st;
    if ((st = put_u16(ds, DCM_BitsAllocated, 16))) return st;
    if ((st = put_u16(ds, DCM_BitsStored, (Uint16)bits_stored))) return st;
    if ((st = put_u16(ds, DCM_HighBit, (Uint16)(bits_stored - 1)))) return st;
    if ((st = put_u16(ds, DCM_PixelRepresentation, p->pixel_signed ? 1 : 0))) return st;
    PUT(DCM_BurnedInAnnotation, "NO");
#undef PUT
    return TSC_OK;
}

tsc_status Writer::put_pixels(DcmItem *ds, size_t first, size_t count)
{
    size_t per = (size_t)v->rows * (size_t)v->cols;
    std::vector<Uint16> px(per * count);
    /* Signed values go in as their two's complement bit pattern. */
    for (size_t i = 0; i < per * count; i++) px[i] = (Uint16)(uint16_t)stored[first * per + i];
    OFCondition c = ds->putAndInsertUint16Array(DCM_PixelData, px.data(), (unsigned long)px.size());
    if (c.bad()) return fail(TSC_EINTERNAL, "PixelData: " + tsc__condition_text(c));
    return TSC_OK;
}

tsc_status Writer::build_classic(DcmItem *ds, size_t k)
{
    tsc_status st;
    if ((st = put_common(ds, TSC_DICOM_MR_IMAGE_STORAGE, k))) return st;
#define PUT(...)                                    \
    do {                                            \
        if ((st = put(ds, __VA_ARGS__))) return st; \
    } while (0)
    if (p->derivation && *p->derivation) PUT(DCM_DerivationDescription, p->derivation, true);
    if (p->contrast_agent && *p->contrast_agent)
        PUT(DCM_ContrastBolusAgent, p->contrast_agent, true);
    /* MR Image module: research mode, acquisition parameters unknown
     * (Type 2, empty) for derived images. */
    PUT(DCM_ScanningSequence, "RM");
    PUT(DCM_SequenceVariant, "NONE");
    PUT(DCM_ScanOptions, "");
    PUT(DCM_MRAcquisitionType, "");
    if (p->sequence_name && *p->sequence_name) PUT(DCM_SequenceName, p->sequence_name, true);
    PUT(DCM_SliceThickness, fmt(thickness));
    PUT(DCM_RepetitionTime, "");
    PUT(DCM_EchoTime, "");
    PUT(DCM_EchoTrainLength, "");
    if (spacing > 0) PUT(DCM_SpacingBetweenSlices, fmt(spacing));
    const double *pos = v->positions + 3 * k;
    PUT(DCM_ImagePositionPatient, ds_list(pos, 3));
    PUT(DCM_ImageOrientationPatient, ds_list(p->orientation, 6));
    PUT(DCM_SliceLocation, fmt(pos[0] * normal[0] + pos[1] * normal[1] + pos[2] * normal[2]));
    PUT(DCM_PixelSpacing, ds_list(p->pixel_spacing, 2));
    PUT(DCM_WindowCenter, fmt(wc));
    PUT(DCM_WindowWidth, fmt(ww));
    if (write_rescale) {
        PUT(DCM_RescaleIntercept, fmt(intercept));
        PUT(DCM_RescaleSlope, fmt(slope));
        PUT(DCM_RescaleType, "US");
    }
#undef PUT
    return put_pixels(ds, k, 1);
}

tsc_status Writer::build_enhanced(DcmItem *ds)
{
    tsc_status st;
    if ((st = put_common(ds, TSC_DICOM_ENHANCED_MR_IMAGE_STORAGE, 0))) return st;
#define PUT(item, ...)                                \
    do {                                              \
        if ((st = put(item, __VA_ARGS__))) return st; \
    } while (0)
    PUT(ds, DCM_NumberOfFrames, std::to_string(v->n_slices));
    PUT(ds, DCM_DeviceSerialNumber, "0");
    PUT(ds, DCM_PresentationLUTShape, "IDENTITY");
    PUT(ds, DCM_ContentQualification, "RESEARCH");
    PUT(ds, DCM_PixelPresentation, "MONOCHROME");
    PUT(ds, DCM_VolumetricProperties, "VOLUME");
    PUT(ds, DCM_VolumeBasedCalculationTechnique, "NONE");
    PUT(ds, DCM_ComplexImageComponent, "MAGNITUDE");
    PUT(ds, DCM_AcquisitionContrast, contrast_term);
    PUT(ds, DCM_LossyImageCompression, "00");
    /* Type 1C in the MR Image and Spectroscopy Instance Macro; dciodvfy
     * requires it for derived images too. */
    PUT(ds, DCM_ApplicableSafetyStandardAgency, "IEC");
    if ((st = put_empty_seq(ds, DCM_AcquisitionContextSequence))) return st;

    /* Dimensions: one stack, frames by position in it. */
    DcmItem *org = new_item(ds, DCM_DimensionOrganizationSequence);
    if (!org) return TSC_EINTERNAL;
    PUT(org, DCM_DimensionOrganizationUID, dim_uid);
    PUT(ds, DCM_DimensionOrganizationType, "3D");
    const DcmTagKey dim_tags[2] = {DCM_StackID, DCM_InStackPositionNumber};
    const char *dim_labels[2] = {"Stack ID", "In-Stack Position Number"};
    for (int i = 0; i < 2; i++) {
        DcmItem *d = new_item(ds, DCM_DimensionIndexSequence);
        if (!d) return TSC_EINTERNAL;
        OFCondition c = d->putAndInsertTagKey(DCM_DimensionIndexPointer, dim_tags[i]);
        if (c.good()) c = d->putAndInsertTagKey(DCM_FunctionalGroupPointer, DCM_FrameContentSequence);
        if (c.bad())
            return fail(TSC_EINTERNAL, "DimensionIndexSequence: " + tsc__condition_text(c));
        PUT(d, DCM_DimensionOrganizationUID, dim_uid);
        PUT(d, DCM_DimensionDescriptionLabel, dim_labels[i]);
    }

    if (p->contrast_agent && *p->contrast_agent) {
        /* Enhanced Contrast/Bolus module: the agent as a local code whose
         * meaning is the text given, injected intravenously. */
        DcmItem *agent = new_item(ds, DCM_ContrastBolusAgentSequence);
        if (!agent) return TSC_EINTERNAL;
        std::string meaning(p->contrast_agent);
        if (meaning.size() > 64) meaning.resize(64);
        PUT(agent, DCM_CodeValue, "CONTRAST");
        PUT(agent, DCM_CodingSchemeDesignator, "99TSC");
        PUT(agent, DCM_CodeMeaning, meaning, true);
        PUT(agent, DCM_ContrastBolusAgentNumber, "1");
        if ((st = put_code(agent, DCM_ContrastBolusAdministrationRouteSequence, "47625008", "SCT",
                           "Intravenous route")))
            return st;
        if ((st = put_empty_seq(agent, DCM_ContrastBolusIngredientCodeSequence))) return st;
        PUT(agent, DCM_ContrastBolusVolume, "");
        PUT(agent, DCM_ContrastBolusIngredientConcentration, "");
    }

    DcmItem *shared = new_item(ds, DCM_SharedFunctionalGroupsSequence);
    if (!shared) return TSC_EINTERNAL;
    DcmItem *pm = new_item(shared, DCM_PixelMeasuresSequence);
    if (!pm) return TSC_EINTERNAL;
    PUT(pm, DCM_PixelSpacing, ds_list(p->pixel_spacing, 2));
    PUT(pm, DCM_SliceThickness, fmt(thickness));
    if (spacing > 0) PUT(pm, DCM_SpacingBetweenSlices, fmt(spacing));
    DcmItem *po = new_item(shared, DCM_PlaneOrientationSequence);
    if (!po) return TSC_EINTERNAL;
    PUT(po, DCM_ImageOrientationPatient, ds_list(p->orientation, 6));
    DcmItem *voi = new_item(shared, DCM_FrameVOILUTSequence);
    if (!voi) return TSC_EINTERNAL;
    PUT(voi, DCM_WindowCenter, fmt(wc));
    PUT(voi, DCM_WindowWidth, fmt(ww));
    /* Required even for identity (Enhanced MR), unlike classic MR. */
    DcmItem *pvt = new_item(shared, DCM_PixelValueTransformationSequence);
    if (!pvt) return TSC_EINTERNAL;
    PUT(pvt, DCM_RescaleIntercept, fmt(intercept));
    PUT(pvt, DCM_RescaleSlope, fmt(slope));
    PUT(pvt, DCM_RescaleType, "US");
    DcmItem *anat = new_item(shared, DCM_FrameAnatomySequence);
    if (!anat) return TSC_EINTERNAL;
    if ((st = put_code(anat, DCM_AnatomicRegionSequence, "12738006", "SCT", "Brain"))) return st;
    PUT(anat, DCM_FrameLaterality, "U");
    DcmItem *ft = new_item(shared, DCM_MRImageFrameTypeSequence);
    if (!ft) return TSC_EINTERNAL;
    PUT(ft, DCM_FrameType, frame_type());
    PUT(ft, DCM_PixelPresentation, "MONOCHROME");
    PUT(ft, DCM_VolumetricProperties, "VOLUME");
    PUT(ft, DCM_VolumeBasedCalculationTechnique, "NONE");
    PUT(ft, DCM_ComplexImageComponent, "MAGNITUDE");
    PUT(ft, DCM_AcquisitionContrast, contrast_term);
    if (p->contrast_agent && *p->contrast_agent) {
        DcmItem *use = new_item(shared, DCM_ContrastBolusUsageSequence);
        if (!use) return TSC_EINTERNAL;
        PUT(use, DCM_ContrastBolusAgentNumber, "1");
        PUT(use, DCM_ContrastBolusAgentAdministered, "YES");
        PUT(use, DCM_ContrastBolusAgentDetected, "");
    }

    for (size_t k = 0; k < v->n_slices; k++) {
        DcmItem *fg = new_item(ds, DCM_PerFrameFunctionalGroupsSequence);
        if (!fg) return TSC_EINTERNAL;
        DcmItem *fc = new_item(fg, DCM_FrameContentSequence);
        if (!fc) return TSC_EINTERNAL;
        PUT(fc, DCM_StackID, "1");
        PUT(fc, DCM_InStackPositionNumber, std::to_string(k + 1));
        Uint32 idx[2] = {1, (Uint32)(k + 1)};
        OFCondition c = fc->putAndInsertUint32Array(DCM_DimensionIndexValues, idx, 2);
        if (c.bad()) return fail(TSC_EINTERNAL, "DimensionIndexValues: " + tsc__condition_text(c));
        DcmItem *pp = new_item(fg, DCM_PlanePositionSequence);
        if (!pp) return TSC_EINTERNAL;
        PUT(pp, DCM_ImagePositionPatient, ds_list(v->positions + 3 * k, 3));
    }
#undef PUT
    return put_pixels(ds, 0, v->n_slices);
}

tsc_status Writer::save(DcmFileFormat &ff, const std::string &path)
{
    DcmDataset *ds = ff.getDataset();
    E_TransferSyntax xfer = EXS_LittleEndianExplicit;
    OFCondition c = EC_Normal;
    switch (p->compression) {
    case TSC_DICOM_COMPRESS_NONE: break;
    case TSC_DICOM_COMPRESS_DEFLATE: xfer = EXS_DeflatedLittleEndianExplicit; break;
    case TSC_DICOM_COMPRESS_JPEG_LS: {
        xfer = EXS_JPEGLSLossless;
        DJLSRepresentationParameter rp(0, OFTrue);
        c = ds->chooseRepresentation(xfer, &rp);
        break;
    }
    case TSC_DICOM_COMPRESS_RLE:
        xfer = EXS_RLELossless;
        c = ds->chooseRepresentation(xfer, NULL);
        break;
    case TSC_DICOM_COMPRESS_JPEG_LOSSLESS: {
        xfer = EXS_JPEGProcess14SV1;
        DJ_RPLossless rp(1, 0);
        c = ds->chooseRepresentation(xfer, &rp);
        break;
    }
    }
    if (c.good() && xfer != EXS_LittleEndianExplicit && xfer != EXS_DeflatedLittleEndianExplicit)
        zero_jpeg_padding(ds, xfer);
    if (c.good() && p->compression == TSC_DICOM_COMPRESS_JPEG_LOSSLESS) {
        /* DCMTK's JPEG encoder records itself in DerivationDescription, an
         * attribute the Enhanced MR IOD does not have; the transfer syntax
         * already says how the pixels are encoded. */
        if (p->multiframe || !p->derivation || !*p->derivation)
            delete ds->remove(DCM_DerivationDescription);
        else
            ds->putAndInsertString(DCM_DerivationDescription, p->derivation);
    }
    if (c.bad() || !ds->canWriteXfer(xfer))
        return fail(TSC_EUNSUPPORTED,
                    path + ": DCMTK cannot encode " +
                        tsc_dicom_write_compression_name(p->compression) +
                        (c.bad() ? ": " + tsc__condition_text(c) : std::string()));
    tsc_atomic_file *af = NULL;
    tsc_status st = tsc_atomic_file_open(path.c_str(), &af, err);
    if (st) return st;
    c = ff.saveFile(tsc_atomic_file_get_temp_path(af), xfer, EET_ExplicitLength, EGL_recalcGL,
                    EPD_noChange, 0, 0, EWM_createNewMeta);
    if (c.bad()) {
        tsc_atomic_file_abort(af);
        return fail(TSC_EIO, path + ": DCMTK could not write the file: " + tsc__condition_text(c));
    }
    return tsc_atomic_file_commit(af, err);
}

/* DCMTK 3.6.7's JPEG-LS encoder pads odd-length frames with a byte it
 * leaves uninitialised: make it the NULL the standard asks for (PS3.5 A.4),
 * so that equal inputs give equal files.  Odd frames (should an encoder
 * leave one) get the same padding here rather than at write time. */
void zero_jpeg_padding(DcmDataset *ds, E_TransferSyntax xfer)
{
    DcmElement *el = NULL;
    if (ds->findAndGetElement(DCM_PixelData, el).bad() || !el) return;
    DcmPixelData *pd = OFstatic_cast(DcmPixelData *, el);
    /* The representation is found by transfer syntax and codec parameters. */
    E_TransferSyntax current = EXS_Unknown;
    const DcmRepresentationParameter *param = NULL;
    pd->getCurrentRepresentationKey(current, param);
    DcmPixelSequence *seq = NULL;
    if (current != xfer || pd->getEncapsulatedRepresentation(xfer, param, seq).bad() || !seq)
        return;
    for (unsigned long i = 1; i < seq->card(); i++) { /* item 0: offset table */
        DcmPixelItem *item = NULL;
        Uint8 *data = NULL;
        if (seq->getItem(item, i).bad() || !item || item->getUint8Array(data).bad() || !data)
            continue;
        Uint32 n = item->getLength();
        if (n % 2 == 0) {
            /* FF D9 can only be the EOI marker: what follows is padding. */
            if (n >= 3 && data[n - 3] == 0xFF && data[n - 2] == 0xD9) data[n - 1] = 0;
        } else {
            std::vector<Uint8> padded(data, data + n);
            padded.push_back(0);
            item->putUint8Array(padded.data(), n + 1);
        }
    }
}

bool path_exists(const std::string &p)
{
    struct stat st;
    return lstat(p.c_str(), &st) == 0;
}

}  // namespace

/* ---- C API ---------------------------------------------------------------- */

extern "C" {

int tsc_dicom_write_compression_from_name(const char *name, tsc_dicom_compression *out)
{
    static const struct {
        const char *name;
        tsc_dicom_compression c;
    } names[] = {{"none", TSC_DICOM_COMPRESS_NONE},
                 {"jpeg-ls", TSC_DICOM_COMPRESS_JPEG_LS},
                 {"rle", TSC_DICOM_COMPRESS_RLE},
                 {"jpeg-lossless", TSC_DICOM_COMPRESS_JPEG_LOSSLESS},
                 {"deflate", TSC_DICOM_COMPRESS_DEFLATE}};
    if (!name) return 0;
    for (const auto &n : names)
        if (!strcmp(name, n.name)) {
            if (out) *out = n.c;
            return 1;
        }
    return 0;
}

const char *tsc_dicom_write_compression_name(tsc_dicom_compression c)
{
    switch (c) {
    case TSC_DICOM_COMPRESS_JPEG_LS: return "jpeg-ls";
    case TSC_DICOM_COMPRESS_RLE: return "rle";
    case TSC_DICOM_COMPRESS_JPEG_LOSSLESS: return "jpeg-lossless";
    case TSC_DICOM_COMPRESS_DEFLATE: return "deflate";
    default: return "none";
    }
}

tsc_dicom_write_params tsc_dicom_write_default_params(void)
{
    tsc_dicom_write_params p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    p.series_number = 1;
    p.pixel_spacing[0] = p.pixel_spacing[1] = 1.0;
    p.orientation[0] = 1;
    p.orientation[4] = 1;
    p.rescale_slope = 1.0;
    return p;
}

int tsc_dicom_write_uid_is_valid(const char *uid)
{
    if (!uid) return 0;
    size_t n = strlen(uid);
    if (n == 0 || n > 64) return 0;
    const char *s = uid;
    while (*s) {
        const char *start = s;
        while (*s >= '0' && *s <= '9') s++;
        size_t len = (size_t)(s - start);
        if (len == 0) return 0;
        if (len > 1 && *start == '0') return 0;
        if (*s == '.') {
            s++;
            if (!*s) return 0;
        } else if (*s) {
            return 0;
        }
    }
    return 1;
}

tsc_status tsc_dicom_write_make_uid(const char *root, const char *seed, const char *purpose,
                                    char uid[65], tsc_error *err)
{
    TSC_ASSERT(uid && purpose);
    TSC__API_IMPL_BEGIN
        return make_uid(root, seed, purpose, uid, err);
    TSC__API_IMPL_END(err, "UID")
}

tsc_status tsc_dicom_write_series(const char *out_dir, const tsc_dicom_write_params *host_params,
                                  const tsc_dicom_write_volume *volume,
                                  tsc_dicom_write_result *result, tsc_error *err)
{
    TSC_ASSERT(out_dir && host_params && volume);
    TSC_ASSERT(volume->values && volume->positions);
    /* A host built against an older, shorter struct: take the fields it
     * has, defaults for the rest (the prefix-copy of every entry point). */
    tsc_dicom_write_params copy = tsc_dicom_write_default_params();
    TSC__PARAMS_COPY(&copy, host_params);
    const tsc_dicom_write_params *params = &copy;
    if (result) {
        memset(result, 0, sizeof *result);
        result->struct_size = sizeof *result;
    }
    std::vector<std::string> created;
    bool made_dir = false;
    tsc_status status = [&]() -> tsc_status {
        TSC__API_IMPL_BEGIN
        register_encoders();
        Writer w;
        w.p = params;
        w.v = volume;
        w.err = err;
        tsc_status st = w.validate();
        if (st) return st;
        if ((st = w.prepare())) return st;

        made_dir = !path_exists(out_dir);
        if ((st = tsc_io_prepare_output_dir(out_dir, params->allow_non_empty, err))) {
            made_dir = false;
            return st;
        }
        size_t n_files = params->multiframe ? 1 : volume->n_slices;
        for (size_t k = 0; k < n_files; k++) {
            if (params->cancel && params->cancel(params->cancel_data))
                return tsc_error_set(err, TSC_ECANCELLED, "%s: cancelled", out_dir);
            char name[32];
            snprintf(name, sizeof name, "IM%04zu.dcm", k + 1);
            std::string path = std::string(out_dir) + "/" + name;
            DcmFileFormat ff;
            st = params->multiframe ? w.build_enhanced(ff.getDataset())
                                    : w.build_classic(ff.getDataset(), k);
            if (st) {
                tsc_error_prefix(err, "%s", path.c_str());
                return st;
            }
            bool existed = path_exists(path);
            if ((st = w.save(ff, path))) return st;
            if (!existed) created.push_back(path);
            tsc_log(TSC_LOG_DEBUG, LOG_DOMAIN, "wrote %s", name);
        }
        if (result) {
            snprintf(result->study_uid, sizeof result->study_uid, "%s", w.study_uid.c_str());
            snprintf(result->series_uid, sizeof result->series_uid, "%s", w.series_uid.c_str());
            snprintf(result->frame_of_reference_uid, sizeof result->frame_of_reference_uid, "%s",
                     w.for_uid.c_str());
            const char *ts = UID_LittleEndianExplicitTransferSyntax;
            switch (params->compression) {
            case TSC_DICOM_COMPRESS_JPEG_LS: ts = UID_JPEGLSLosslessTransferSyntax; break;
            case TSC_DICOM_COMPRESS_RLE: ts = UID_RLELosslessTransferSyntax; break;
            case TSC_DICOM_COMPRESS_JPEG_LOSSLESS: ts = UID_JPEGProcess14SV1TransferSyntax; break;
            case TSC_DICOM_COMPRESS_DEFLATE: ts = UID_DeflatedExplicitVRLittleEndianTransferSyntax; break;
            default: break;
            }
            snprintf(result->transfer_syntax_uid, sizeof result->transfer_syntax_uid, "%s", ts);
            result->n_files = n_files;
            result->n_clipped = w.n_clipped;
            result->window_center = w.wc;
            result->window_width = w.ww;
            result->bits_stored = w.bits_stored;
        }
        return TSC_OK;
        TSC__API_IMPL_END(err, "%s", out_dir)
    }();
    if (status != TSC_OK) {
        /* Leave no half-written series behind. */
        for (const std::string &p : created) unlink(p.c_str());
        if (made_dir) rmdir(out_dir);
    }
    return status;
}

}  // extern "C"
