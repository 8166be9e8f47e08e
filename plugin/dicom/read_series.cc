/* SPDX-License-Identifier: BSD-3-Clause */
/* A series once all its files are read: slices ordered along the normal,
 * mixed acquisitions split into variants and repeated volumes, and the
 * series' info filled in (read_index_private.h). */
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

namespace {

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

} // namespace

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

} // namespace tsc_dicom_internal
