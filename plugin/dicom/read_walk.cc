/* SPDX-License-Identifier: BSD-3-Clause */
/* Finding the files of a study: folders walked in name order, DICOMDIRs
 * followed, temporaries and duplicates left out, and the cheap checks made
 * before DCMTK reads a header (read_index_private.h). */
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

/* DCMTK reads nested sequences recursively, several stack frames per level:
 * a file of a few thousand nested sequences (160 KB) overflows the stack.
 * Real objects nest a few levels (SR trees rarely beyond 20). */
const int MAX_SEQUENCE_DEPTH = 256;

namespace {

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

} // namespace

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

void Walker::skip(const std::string &path, tsc_status st, const std::string &reason)
{
    Skipped s;
    s.path = path;
    s.reason = reason;
    s.status = st;
    index->skipped.push_back(std::move(s));
}

void Walker::add_file(const std::string &path)
{
    if (files.size() >= params->max_files) return;
    char *real = realpath(path.c_str(), nullptr);
    std::string key = real ? std::string(real) : path;
    free(real);
    if (seen_files.insert(key).second) files.push_back(path);
}

bool Walker::is_dicomdir_name(const char *name)
{
    return strcasecmp(name, "DICOMDIR") == 0;
}

/* ".NAME.XXXXXX": the temporary next to an output file that our atomic
 * writers rename into place when complete.  One left by a killed writer
 * may be complete, yet it is a duplicate (or a partial) of a real file. */
bool Walker::is_temporary_name(const std::string &name)
{
    size_t n = name.size();
    if (n < 9 || name[0] != '.' || name[n - 7] != '.') return false;
    for (size_t i = n - 6; i < n; i++)
        if (!isalnum((unsigned char)name[i])) return false;
    return true;
}

void Walker::walk(const std::string &dir, int depth)
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

/* Resolves a DICOMDIR ReferencedFileID (components separated by '\\') below
 * `base`, tolerating the case differences that media often have. */
static std::string resolve_file_id(const std::string &base, const std::string &file_id)
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
        skip(path, TSC_EFORMAT, "cannot read DICOMDIR: " + tsc__condition_text(c));
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

/* A DICOMDIR under another name (copied media, "dicomdir.dat"): its meta
 * header names the Media Storage Directory SOP class. */
bool is_dicomdir_file(const std::string &path)
{
    std::string why;
    if (sniff(path, &why) != TSC_OK) return false;
    DcmMetaInfo meta;
    if (meta.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, 256).bad()) return false;
    return get_string(&meta, DCM_MediaStorageSOPClassUID) == UID_MediaStorageDirectoryStorage;
}

} // namespace tsc_dicom_internal
