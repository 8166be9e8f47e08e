/* SPDX-License-Identifier: BSD-3-Clause */
/* De-identification state of one run (tsc_deid.h): UID replacements,
 * pseudonym tags and date offsets, each drawn at random on first use and
 * kept until the process ends.  Random rather than hashed: a replacement
 * says nothing about the original, not even to someone who guesses it. */
#include "tsc_deid.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>

#include "firewall_private.h"
#include "uid_private.h"

namespace {

struct Offset {
    long days;    /* 365 .. 3652, subtracted */
    long seconds; /* 0 .. 86399, subtracted */
};

struct State {
    std::mutex lock;
    std::random_device rd;
    std::unordered_map<std::string, std::string> uids;
    std::unordered_map<std::string, std::string> tags;
    std::unordered_map<std::string, Offset> offsets;
};

State &state()
{
    static State s; /* never destroyed before the last output: static storage */
    return s;
}

/* Patients are told apart the way the reader groups them: ID and name. */
std::string patient_key(const tsc_dicom_patient_info *pt)
{
    if (!pt) return std::string();
    return std::string(pt->id ? pt->id : "") + '\x1f' + (pt->name ? pt->name : "");
}

Offset offset_of(const tsc_dicom_patient_info *pt)
{
    State &s = state();
    std::lock_guard<std::mutex> g(s.lock);
    auto it = s.offsets.find(patient_key(pt));
    if (it == s.offsets.end()) {
        Offset o;
        o.days = 365 + (long)(s.rd() % (3652 - 365 + 1));
        o.seconds = (long)(s.rd() % 86400);
        it = s.offsets.emplace(patient_key(pt), o).first;
    }
    return it->second;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil) and back. */
long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_from_days(long z, long *y, long *m, long *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* YYYYMMDD (also the ACR-NEMA form YYYY.MM.DD) -> day number. */
bool parse_date(const char *s, long *day)
{
    if (!s) return false;
    char buf[9];
    size_t n = strlen(s);
    if (n == 10 && s[4] == '.' && s[7] == '.') {
        memcpy(buf, s, 4);
        memcpy(buf + 4, s + 5, 2);
        memcpy(buf + 6, s + 8, 2);
    } else if (n == 8) {
        memcpy(buf, s, 8);
    } else {
        return false;
    }
    if (!digits(buf, 8)) return false;
    long y = (buf[0] - '0') * 1000 + (buf[1] - '0') * 100 + (buf[2] - '0') * 10 + (buf[3] - '0');
    long m = (buf[4] - '0') * 10 + (buf[5] - '0');
    long d = (buf[6] - '0') * 10 + (buf[7] - '0');
    if (m < 1 || m > 12 || d < 1 || d > 31) return false;
    *day = days_from_civil(y, m, d);
    return true;
}

/* HH[MM[SS[.F{1,6}]]] (also HH:MM:SS) -> seconds of the day and the
 * fraction as written (".123"). */
bool parse_time(const char *s, long *secs, std::string *frac)
{
    if (!s) return false;
    std::string t;
    const char *p = s;
    for (; *p && *p != '.'; p++)
        if (*p != ':') t.push_back(*p);
    if (t.size() < 2 || t.size() > 6 || t.size() % 2 || !digits(t.c_str(), t.size())) return false;
    long hh = std::stol(t.substr(0, 2));
    long mm = t.size() >= 4 ? std::stol(t.substr(2, 2)) : 0;
    long ss = t.size() >= 6 ? std::stol(t.substr(4, 2)) : 0;
    if (hh > 23 || mm > 59 || ss > 60) return false;
    *frac = *p == '.' ? std::string(p) : std::string();
    if (frac->size() > 7 || (frac->size() > 1 && !digits(frac->c_str() + 1, frac->size() - 1)))
        return false;
    *secs = hh * 3600 + mm * 60 + (ss > 59 ? 59 : ss);
    return true;
}

/* Bounded copy (the callers' sizes are fixed by tsc_deid.h). */
void copy(char *out, size_t n, const char *s)
{
    size_t l = strlen(s);
    if (l >= n) l = n - 1;
    memcpy(out, s, l);
    out[l] = '\0';
}

void format_date(long day, char *out)
{
    long y, m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999) {
        out[0] = '\0';
        return;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%04ld%02ld%02ld", y, m, d);
    copy(out, TSC_DEID_DATE_SIZE, buf);
}

void format_time(long secs, const std::string &frac, char *out)
{
    char buf[96];
    snprintf(buf, sizeof buf, "%02ld%02ld%02ld%s", secs / 3600, secs / 60 % 60, secs % 60,
             frac.c_str());
    copy(out, TSC_DEID_TIME_SIZE, buf);
}

long floor_div(long a, long b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

} // namespace

extern "C" void tsc_deid_uid(const char *uid, char out[TSC_DEID_UID_SIZE])
{
    out[0] = '\0';
    if (!uid || !*uid) return;
    TSC__API_IMPL_BEGIN
        State &s = state();
        std::lock_guard<std::mutex> g(s.lock);
        auto it = s.uids.find(uid);
        if (it == s.uids.end()) it = s.uids.emplace(uid, tsc__random_uid(s.rd)).first;
        snprintf(out, TSC_DEID_UID_SIZE, "%s", it->second.c_str());
    TSC__API_IMPL_END_VOID(out[0] = '\0')
}

extern "C" void tsc_deid_study_id(const char *study_uid, char out[TSC_DEID_UID_SIZE])
{
    char uid[TSC_DEID_UID_SIZE];
    tsc_deid_uid(study_uid, uid);
    size_t len = strlen(uid);
    snprintf(out, TSC_DEID_UID_SIZE, "S%.10s", len > 10 ? uid + len - 10 : uid);
}

extern "C" void tsc_deid_patient_tag(const tsc_dicom_patient_info *pt, char out[TSC_DEID_TAG_SIZE])
{
    out[0] = '\0';
    TSC__API_IMPL_BEGIN
        State &s = state();
        std::lock_guard<std::mutex> g(s.lock);
        std::string key = patient_key(pt);
        auto it = s.tags.find(key);
        if (it == s.tags.end()) {
            char tag[TSC_DEID_TAG_SIZE];
            snprintf(tag, sizeof tag, "%08X", (unsigned)s.rd());
            it = s.tags.emplace(key, tag).first;
        }
        snprintf(out, TSC_DEID_TAG_SIZE, "%s", it->second.c_str());
    TSC__API_IMPL_END_VOID(out[0] = '\0')
}

extern "C" char *tsc_deid_shift(const tsc_dicom_patient_info *pt, const char *date,
                                const char *time, char *date_out, char *time_out)
{
    if (date_out) date_out[0] = '\0';
    if (time_out) time_out[0] = '\0';
    TSC__API_IMPL_BEGIN
        Offset o = offset_of(pt);
        long day = 0, secs = 0;
        std::string frac;
        bool have_date = parse_date(date, &day);
        bool have_time = time && *time && parse_time(time, &secs, &frac);
        if (have_date) {
            long t = day * 86400 + (have_time ? secs : 43200) - o.days * 86400 - o.seconds;
            if (date_out) format_date(floor_div(t, 86400), date_out);
            if (have_time && time_out) format_time(t - floor_div(t, 86400) * 86400, frac, time_out);
        } else if (have_time && time_out) {
            long t = secs - o.seconds;
            format_time(((t % 86400) + 86400) % 86400, frac, time_out);
        }
    TSC__API_IMPL_END_VOID({
        if (date_out) date_out[0] = '\0';
        if (time_out) time_out[0] = '\0';
    })
    return date_out;
}

extern "C" void tsc_deid_shift_time(const tsc_dicom_patient_info *pt, const char *time,
                                    char time_out[TSC_DEID_TIME_SIZE])
{
    tsc_deid_shift(pt, NULL, time, NULL, time_out);
}

extern "C" void tsc_deid_shift_timestamp(const tsc_dicom_patient_info *pt, char *when, size_t n)
{
    /* "YYYY-MM-DD HH:MM" */
    if (!when || strlen(when) != 16 || when[4] != '-' || when[7] != '-' || when[10] != ' ' ||
        when[13] != ':')
        return;
    char date[9] = {when[0], when[1], when[2], when[3], when[5], when[6], when[8], when[9], 0};
    char time[5] = {when[11], when[12], when[14], when[15], 0};
    char d[TSC_DEID_DATE_SIZE], t[TSC_DEID_TIME_SIZE];
    tsc_deid_shift(pt, date, time, d, t);
    if (!d[0] || !t[0]) return;
    snprintf(when, n, "%.4s-%.2s-%.2s %.2s:%.2s", d, d + 4, d + 6, t, t + 2);
}

/* uid_private.h */
std::string tsc__random_uid(std::random_device &rd)
{
    uint32_t limb[4];
    for (uint32_t &l : limb) l = rd();
    limb[2] = (limb[2] & 0xFFFF0FFFu) | 0x00004000u; /* UUID version 4 */
    limb[1] = (limb[1] & 0x3FFFFFFFu) | 0x80000000u; /* variant 10 */
    std::string digits;
    bool nonzero = true;
    while (nonzero) {
        uint64_t rem = 0;
        nonzero = false;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = (rem << 32) | limb[i];
            limb[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
            nonzero |= limb[i] != 0;
        }
        digits.push_back((char)('0' + rem));
    }
    std::reverse(digits.begin(), digits.end());
    return "2.25." + digits;
}
