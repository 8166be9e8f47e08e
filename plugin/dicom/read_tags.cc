// SPDX-License-Identifier: BSD-3-Clause
/* The attributes of a slice's file as text (tsc_dicom_tags.h). */
#include "tsc_dicom_tags.h"

#include <dcmtk/config/osconfig.h>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcvr.h>

#include <cstdio>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dcmtk_private.h"
#include "deid_dataset_private.h"
#include "firewall_private.h"
#include "read_private.h"
#include "tsc_deid.h"

struct tsc_dicom_tag_list {
    std::vector<tsc_dicom_tag> rows;
    std::deque<std::string> text; /* owns every keyword and value (stable addresses) */
};

namespace
{

constexpr size_t MAX_VALUE = 1024;
const char HIDDEN[] = "(hidden: de-identification)";
const char EMPTIED[] = "(emptied: de-identification)"; /* type 2: kept empty in the outputs */

/* Invalid UTF-8 (a character set DCMTK could not convert) becomes '?'. */
std::string valid_utf8(const std::string &s)
{
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (size_t k = 1; ok && k < n; k++) ok = ((unsigned char)s[i + k] >> 6) == 2;
        if (ok && (n > 1 || (c >= 0x20 || c == '\t'))) {
            out.append(s, i, n);
            i += n;
        } else {
            out += '?';
            i++;
        }
    }
    return out;
}

/* Cut at MAX_VALUE bytes, on a character boundary, with an ellipsis. */
std::string cut(std::string s)
{
    if (s.size() <= MAX_VALUE) return s;
    size_t n = MAX_VALUE;
    while (n > 0 && ((unsigned char)s[n] >> 6) == 2) n--;
    s.resize(n);
    return s + "\xe2\x80\xa6";
}

bool is_binary(DcmEVR vr)
{
    switch (vr) {
    case EVR_OB:
    case EVR_OW:
    case EVR_OF:
    case EVR_OD:
    case EVR_OL:
    case EVR_OV:
    case EVR_UN:
    case EVR_ox:
    case EVR_px:
    case EVR_pixelSQ: return true;
    default: return false;
    }
}

std::string value_text(DcmElement *e)
{
    const DcmTagKey key = e->getTag().getXTag();
    const Uint32 len = e->getLengthField();
    char buf[128];
    if (key == DCM_PixelData || key == DCM_FloatPixelData || key == DCM_DoubleFloatPixelData) {
        snprintf(buf, sizeof buf, "(pixel data, %lu bytes, not shown)", (unsigned long)len);
        return buf;
    }
    if (is_binary(e->ident())) {
        /* The bytes themselves only when there are few (a 16-byte UN). */
        Uint8 *bytes = nullptr;
        if (len == 0 || len > 16 || !e->valueLoaded() || e->getUint8Array(bytes).bad() || !bytes) {
            snprintf(buf, sizeof buf, "(binary, %lu bytes)", (unsigned long)len);
            return buf;
        }
        std::string s = "(binary, " + std::to_string(len) + " bytes:";
        for (Uint32 i = 0; i < len; i++) {
            snprintf(buf, sizeof buf, " %02X", bytes[i]);
            s += buf;
        }
        return s + ")";
    }
    if (!e->valueLoaded() && len > 4096) {
        snprintf(buf, sizeof buf, "(%lu bytes, not shown)", (unsigned long)len);
        return buf;
    }
    OFString v;
    if (e->getOFStringArray(v).bad()) return "(unreadable value)";
    return cut(valid_utf8(v.c_str()));
}

/* Attributes a source header may hold identifying text in that the outputs
 * never copy (so the Basic Profile list of deid_dataset.cc does not name
 * them): every person name, free text, comment, address, description and
 * identifier.  The browser hides them all rather than trust a list. */
bool browser_hides(const std::string &keyword, DcmEVR vr)
{
    auto ends = [&](const char *s) {
        size_t n = strlen(s);
        return keyword.size() >= n && keyword.compare(keyword.size() - n, n, s) == 0;
    };
    if (vr == EVR_PN || vr == EVR_LT || vr == EVR_ST || vr == EVR_UT) return true;
    if (keyword.find("Comment") != std::string::npos ||
        keyword.find("Address") != std::string::npos ||
        keyword.find("Telephone") != std::string::npos)
        return true;
    if (ends("Description")) return true;
    if ((vr == EVR_LO || vr == EVR_SH || vr == EVR_UN) && ends("ID")) return true;
    return keyword.empty(); /* unknown to the dictionary: could be anything */
}

struct Lister {
    tsc_dicom_tag_list *list;
    bool deid;
    const tsc_dicom_patient_info *pt;
    const tsc_dicom_series_info *se;
    const tsc_dicom_study_info *st;
    size_t left_out = 0;

    const char *keep(std::string s)
    {
        list->text.push_back(std::move(s));
        return list->text.back().c_str();
    }

    bool full() const
    {
        return list->rows.size() >= TSC_DICOM_TAGS_MAX_ROWS - 1;
    }

    void add(uint16_t g, uint16_t el, const char *vr, unsigned depth, const std::string &keyword,
             std::string value, bool hidden)
    {
        if (full()) {
            left_out++;
            return;
        }
        tsc_dicom_tag t{};
        t.struct_size = sizeof t;
        t.group = g;
        t.element = el;
        snprintf(t.vr, sizeof t.vr, "%s", vr);
        t.depth = depth;
        t.keyword = keep(keyword);
        t.value = keep(std::move(value));
        t.hidden = hidden;
        list->rows.push_back(t);
    }

    /* The de-identified value of a kept attribute the outputs replace. */
    bool replaced(const DcmTagKey &key, std::string *value) const
    {
        char tag[TSC_DEID_TAG_SIZE], text[128];
        if (key == DCM_PatientName || key == DCM_PatientID) {
            tsc_deid_patient_tag(pt, tag);
            *value = std::string(key == DCM_PatientName ? "Anonymous^" : "TSC-") + tag;
            return true;
        }
        if (key == DCM_StudyDescription) {
            *value = tsc_deid_study_description(se->modality, text, sizeof text);
            return true;
        }
        if (key == DCM_SeriesDescription) {
            *value =
                tsc_deid_series_description(se->modality, se->contrast_label, text, sizeof text);
            return true;
        }
        if (key == DCM_StudyID) {
            char id[TSC_DEID_UID_SIZE];
            tsc_deid_study_id(st->study_uid, id);
            *value = id;
            return true;
        }
        return false;
    }

    void item(DcmItem &it, unsigned depth)
    {
        for (unsigned long i = 0; i < it.card(); i++) element(it.getElement(i), depth);
    }

    void element(DcmElement *e, unsigned depth)
    {
        DcmTag tag = e->getTag(); /* a copy: getTagName() is not const */
        const DcmTagKey key = tag.getXTag();
        const char *name = tag.getTagName();
        std::string keyword = name && strcmp(name, DcmTag_ERROR_TagName) != 0 ? name : "";
        const char *vr = DcmVR(e->ident()).getValidVRName();
        if (deid) {
            tsc_deid::Action a = tsc_deid::action(key);
            std::string v;
            if (replaced(key, &v)) {
                add(key.getGroup(), key.getElement(), vr, depth, keyword, v, false);
                return;
            }
            if (a == tsc_deid::Action::remove || browser_hides(keyword, e->ident())) {
                add(key.getGroup(), key.getElement(), vr, depth, keyword, HIDDEN, true);
                return; /* a hidden sequence's items stay hidden too */
            }
            if (a == tsc_deid::Action::blank) {
                add(key.getGroup(), key.getElement(), vr, depth, keyword, EMPTIED, true);
                return;
            }
            if (a == tsc_deid::Action::dummy) {
                add(key.getGroup(), key.getElement(), vr, depth, keyword, "0", false);
                return;
            }
        }
        if (e->ident() == EVR_SQ) {
            DcmSequenceOfItems *sq = static_cast<DcmSequenceOfItems *>(e);
            unsigned long n = sq->card();
            add(key.getGroup(), key.getElement(), vr, depth, keyword,
                "(sequence, " + std::to_string(n) + (n == 1 ? " item)" : " items)"), false);
            for (unsigned long j = 0; j < n; j++) {
                add(0xFFFE, 0xE000, "", depth + 1, "Item",
                    "item " + std::to_string(j + 1) + " of " + std::to_string(n), false);
                item(*sq->getItem(j), depth + 1);
            }
            return;
        }
        add(key.getGroup(), key.getElement(), vr, depth, keyword, value_text(e), false);
    }
};

tsc_status list_impl(const tsc_dicom_index *index, size_t series, size_t slice, unsigned flags,
                     tsc_dicom_tag_list **out, tsc_error *err)
{
    const tsc_dicom_slice_info *si = tsc_dicom_get_slice(index, series, slice);
    const tsc_dicom_series_info *se = tsc_dicom_get_series(index, series);
    const tsc_dicom_study_info *st = tsc_dicom_get_study(index, se->study);
    const tsc_dicom_patient_info *pt = tsc_dicom_get_patient(index, st->patient);
    const char *base = tsc_dicom_internal::base_name(si->path);

    DcmFileFormat ff;
    /* Values over 4 KiB (pixel data, big private blobs) stay on disk. */
    OFCondition c = ff.loadFile(si->path, EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect);
    if (c.bad())
        return tsc_error_set(err, TSC_EIO,
                             "file %s: cannot be read any more (%s); reopen the study if it was "
                             "moved or changed",
                             base, tsc__condition_text(c).c_str());
    DcmDataset *ds = ff.getDataset();
    (void)ds->convertToUTF8(); /* failure: raw bytes, invalid UTF-8 shown as '?' */
    const bool deid = (flags & TSC_DICOM_TAGS_DEIDENTIFY) != 0;
    if (deid) {
        tsc_deid::map_values(*ff.getMetaInfo(), pt);
        tsc_deid::map_values(*ds, pt);
    }

    /* Owned here until returned: an exception on the way frees it. */
    std::unique_ptr<tsc_dicom_tag_list> list(new tsc_dicom_tag_list);
    Lister l{list.get(), deid, pt, se, st};
    l.item(*ff.getMetaInfo(), 0);
    l.item(*ds, 0);
    if (l.left_out)
        l.add(0, 0, "", 0, "",
              std::to_string(l.left_out) + " more attributes not listed (the list stops at " +
                  std::to_string(TSC_DICOM_TAGS_MAX_ROWS) + " rows)",
              false);
    *out = list.release();
    return TSC_OK;
}

} // namespace

extern "C" tsc_status tsc_dicom_slice_tags(const tsc_dicom_index *index, size_t series,
                                           size_t slice, unsigned flags, tsc_dicom_tag_list **out,
                                           tsc_error *err)
{
    TSC_ASSERT(index && out);
    TSC_ASSERT(series < tsc_dicom_n_series(index));
    TSC_ASSERT(slice < tsc_dicom_get_series(index, series)->n_slices);
    *out = nullptr;
    TSC__API_IMPL_BEGIN
    return list_impl(index, series, slice, flags, out, err);
    TSC__API_IMPL_END(err, "listing the attributes of series %zu slice %zu", series, slice)
}

extern "C" size_t tsc_dicom_tag_list_count(const tsc_dicom_tag_list *list)
{
    TSC_ASSERT(list);
    return list->rows.size();
}

extern "C" const tsc_dicom_tag *tsc_dicom_tag_list_get(const tsc_dicom_tag_list *list, size_t i)
{
    TSC_ASSERT(list && i < list->rows.size());
    return &list->rows[i];
}

extern "C" void tsc_dicom_tag_list_free(tsc_dicom_tag_list *list)
{
    delete list;
}
