/* SPDX-License-Identifier: BSD-3-Clause */
/* The scope gate: is a series what the model was made for?  Decided from the
 * headers scanners really write (docs/RESULT_FORMAT.md "Scope"), in a fixed
 * order so that the reason given is the most fundamental one (a CT is "CT",
 * not "axial"). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_private.h"
#include "struct_size_private.h"

const char *tsc_plane_to_string(tsc_plane p)
{
    switch (p) {
    case TSC_PLANE_AXIAL: return "axial";
    case TSC_PLANE_CORONAL: return "coronal";
    case TSC_PLANE_SAGITTAL: return "sagittal";
    case TSC_PLANE_OBLIQUE: return "oblique";
    case TSC_PLANE_UNKNOWN: break;
    }
    return "unknown";
}

tsc_plane tsc_plane_from_orientation(const double iop[6], double max_oblique_deg,
                                     double *angle_deg)
{
    if (angle_deg) *angle_deg = NAN;
    if (!iop) return TSC_PLANE_UNKNOWN;
    /* Slice normal = row cosines x column cosines (LPS). */
    double n[3] = {iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5],
                   iop[0] * iop[4] - iop[1] * iop[3]};
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (!(len > 0.5) || !isfinite(len)) return TSC_PLANE_UNKNOWN;
    int axis = 0;
    for (int i = 1; i < 3; i++)
        if (fabs(n[i]) > fabs(n[axis])) axis = i;
    double c = fabs(n[axis]) / len;
    if (c > 1) c = 1;
    double deg = acos(c) * 180.0 / M_PI;
    if (angle_deg) *angle_deg = deg;
    if (deg > max_oblique_deg) return TSC_PLANE_OBLIQUE;
    /* Normal along L-R: sagittal; along A-P: coronal; along S-I: axial. */
    return axis == 0 ? TSC_PLANE_SAGITTAL : axis == 1 ? TSC_PLANE_CORONAL : TSC_PLANE_AXIAL;
}

tsc_scope_input tsc_scope_default_input(void)
{
    tsc_scope_input in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    in.max_b_value = -1;
    return in;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Case-insensitive substring. */
static int has(const char *hay, const char *needle)
{
    if (!hay || !*needle) return 0;
    size_t n = strlen(needle);
    for (const char *p = hay; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return 0;
}

/* One value of a multi-valued attribute (values separated by '\'), exact,
 * case-insensitive. */
static int has_value(const char *multi, const char *value)
{
    if (!multi) return 0;
    size_t n = strlen(value);
    const char *p = multi;
    while (*p) {
        const char *e = strchr(p, '\\');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && p[len - 1] == ' ') len--;
        while (len && *p == ' ') {
            p++;
            len--;
        }
        if (len == n) {
            size_t i = 0;
            while (i < n && tolower((unsigned char)p[i]) == tolower((unsigned char)value[i])) i++;
            if (i == n) return 1;
        }
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static void refuse(tsc_scope_decision *out, tsc_scope_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#include <stdarg.h>
static void refuse(tsc_scope_decision *out, tsc_scope_code code, const char *fmt, ...)
{
    out->in_scope = 0;
    out->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* Sequence family from TE/TR/TI, the scanning sequence, the contrast agent
 * and (as a hint only) the series description.  "" when it cannot be told;
 * "PD" and "T2*" name families no model of ours reads. */
static void sequence_family(const tsc_scope_input *in, char *out, size_t n)
{
    const char *d = nz(in->series_description);
    const char *seq = nz(in->scanning_sequence);
    double te = in->echo_time, tr = in->repetition_time, ti = in->inversion_time;
    int post = (in->contrast_agent && *in->contrast_agent) || has(d, "+c") || has(d, "post") ||
               has(d, "gd") || has(d, "gado") || has(d, "contrast") || has(d, " ce");
    const char *fam = "";
    if (has(d, "flair") || (has_value(seq, "IR") && ti > 1400 && te > 50)) fam = "FLAIR";
    else if (has(d, "swi") || has(d, "t2*") || has(d, "t2star") || has(d, "hemo"))
        fam = "T2*";
    else if (has(d, "pd") && !has(d, "upd")) fam = "PD";
    else if (has(d, "t2")) fam = "T2";
    else if (has(d, "t1") || has(d, "mprage") || has(d, "spgr") || has(d, "bravo") ||
             has(d, "tfl") || has(d, "tfe") || has(d, "mp-rage") || has(d, "mp2rage"))
        fam = "T1";
    else if (te > 0 && tr > 0) {
        if (has_value(seq, "IR") && ti > 300 && ti < 1400) fam = "T1";   /* MPRAGE, T1-FLAIR */
        else if (te >= 60 && tr >= 1500) fam = "T2";
        else if (te < 30 && tr < 1000) fam = "T1";
        else if (te < 30 && tr >= 1500 && !has_value(seq, "GR")) fam = "PD";
        else if (has_value(seq, "GR") && te >= 15 && tr >= 100) fam = "T2*";
    }
    if (!strcmp(fam, "T1") && post) fam = "T1 post-contrast";
    snprintf(out, n, "%s", fam);
}

static int listed(const char (*list)[32], size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], v)) return 1;
    return 0;
}

static void join_sequences(const tsc__scope *sc, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sc->n_sequences; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? "/" : "", sc->sequences[i]);
    }
}

void tsc_scope_check(const tsc_model *model, const tsc_scope_input *input,
                     tsc_scope_decision *out)
{
    TSC_ASSERT(input && out);
    tsc_scope_input in = tsc_scope_default_input();
    TSC__PARAMS_COPY(&in, input);
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    out->in_scope = 1;
    out->code = TSC_SCOPE_OK;
    out->oblique_deg = NAN;
    sequence_family(&in, out->sequence_family, sizeof out->sequence_family);

    tsc__scope none;
    memset(&none, 0, sizeof none);
    none.max_oblique_deg = 25;
    none.pixel_spacing_mm[1] = 1e9;
    const tsc__scope *sc = model ? &model->manifest.scope : &none;
    char seqs[160];
    join_sequences(sc, seqs, sizeof seqs);
    if (!seqs[0]) snprintf(seqs, sizeof seqs, "T1/T2/FLAIR");
    const char *mod = nz(in.modality);
    const char *sop = nz(in.sop_class_uid);
    const char *it = in.image_type;

    if (in.has_orientation) {
        double max_obl = sc->max_oblique_deg > 0 ? sc->max_oblique_deg : 25;
        out->plane = tsc_plane_from_orientation(in.orientation, max_obl, &out->oblique_deg);
    }

    /* 1. Objects that are never images to analyse. */
    static const struct {
        const char *prefix, *what;
    } objects[] = {
        {"1.2.840.10008.5.1.4.1.1.7", "a Secondary Capture (a screenshot or a derived picture)"},
        {"1.2.840.10008.5.1.4.1.1.66", "a segmentation or registration object"},
        {"1.2.840.10008.5.1.4.1.1.88", "a structured report"},
        {"1.2.840.10008.5.1.4.1.1.481", "a radiotherapy object"},
        {"1.2.840.10008.5.1.4.1.1.11", "a presentation state"},
        {"1.2.840.10008.5.1.4.1.1.104", "an encapsulated document"},
        {"1.2.840.10008.5.1.4.1.1.4.2", "MR spectroscopy"},
    };
    for (size_t i = 0; i < sizeof objects / sizeof objects[0]; i++)
        if (!strncmp(sop, objects[i].prefix, strlen(objects[i].prefix))) {
            refuse(out, TSC_SCOPE_OBJECT, "this series is %s, not an MR image series; it is never "
                   "analysed", objects[i].what);
            return;
        }
    static const char *const object_modalities[] = {"SEG", "SR", "PR", "KO", "DOC", "RTSTRUCT",
                                                    "RTPLAN", "RTDOSE", "RTIMAGE", "REG"};
    for (size_t i = 0; i < sizeof object_modalities / sizeof object_modalities[0]; i++)
        if (!strcmp(mod, object_modalities[i])) {
            refuse(out, TSC_SCOPE_OBJECT,
                   "this series is a %s object, not an MR image series; it is never analysed",
                   mod);
            return;
        }

    /* 2. Modality. */
    if (sc->n_modalities) {
        int ok = 0;
        for (size_t i = 0; i < sc->n_modalities; i++)
            if (!strcmp(mod, sc->modalities[i])) ok = 1;
        if (!ok) {
            char list[128] = "";
            for (size_t i = 0; i < sc->n_modalities; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", sc->modalities[i]);
            }
            refuse(out, TSC_SCOPE_MODALITY, "%s is outside the model's scope (%s only)",
                   *mod ? mod : "an image without a modality", list);
            return;
        }
    } else if (strcmp(mod, "MR") != 0) {
        refuse(out, TSC_SCOPE_MODALITY, "%s is outside the model's scope (MR only)",
               *mod ? mod : "an image without a modality");
        return;
    }

    /* 3. Colour. */
    const char *ph = nz(in.photometric);
    if (in.samples_per_pixel > 1 || !strncmp(ph, "RGB", 3) || !strncmp(ph, "YBR", 3) ||
        !strcmp(ph, "PALETTE COLOR")) {
        refuse(out, TSC_SCOPE_COLOR,
               "colour images (%s) are screenshots or derived pictures; the model reads greyscale "
               "MR",
               *ph ? ph : "several samples per pixel");
        return;
    }

    /* 4. Diffusion, echo-planar and derived images, by ImageType and sequence. */
    if (has_value(it, "DIFFUSION") || has_value(it, "ADC") || has_value(it, "TRACEW") ||
        has_value(it, "TRACE") || has_value(it, "FA") || has_value(it, "EADC") ||
        has_value(it, "EXP") || in.max_b_value > 50) {
        refuse(out, TSC_SCOPE_DIFFUSION, "diffusion-weighted series: the model reads %s", seqs);
        return;
    }
    if (in.n_mosaic > 1 || has_value(it, "MOSAIC")) {
        refuse(out, TSC_SCOPE_EPI,
               "Siemens mosaic (echo-planar: functional, perfusion or diffusion): the model reads "
               "%s",
               seqs);
        return;
    }
    static const struct {
        const char *value, *what;
    } derived[] = {
        {"PROJECTION IMAGE", "a projection (MIP)"}, {"MIP", "a projection (MIP)"},
        {"MNIP", "a projection (minIP)"},          {"LOCALIZER", "a localizer"},
        {"SCOUT", "a localizer"},                   {"PHASE", "a phase image"},
        {"P", "a phase image"},                     {"FIELD_MAP", "a field map"},
        {"FIELDMAP", "a field map"},               {"B0", "a B0 field map"},
        {"PERFUSION", "a perfusion map"},          {"ASL", "arterial spin labelling"},
        {"CBF", "a perfusion map"},                {"CBV", "a perfusion map"},
        {"MTT", "a perfusion map"},                 {"TTP", "a perfusion map"},
        {"T1 MAP", "a T1 map"},                    {"T2 MAP", "a T2 map"},
        {"R2STAR", "an R2* map"},                  {"T2_STAR_MAP", "a T2* map"},
        {"SUBTRACTION", "a subtraction image"},    {"SUB", "a subtraction image"},
        {"MOCO", "a motion-corrected time series"}, {"TTEST", "a statistical map"},
        {"SWI", "susceptibility-weighted imaging"}, {"REAL", "a real-part image"},
        {"IMAGINARY", "an imaginary-part image"},
    };
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (has_value(it, derived[i].value)) {
            refuse(out, TSC_SCOPE_DERIVED, "this series is %s: the model reads %s", derived[i].what,
                   seqs);
            return;
        }
    const char *ss = nz(in.scanning_sequence), *sn = nz(in.sequence_name);
    if (has_value(ss, "EP") || has(sn, "ep2d") || has(sn, "epfid") || has(sn, "epse") ||
        has(sn, "_ep_") || has(sn, "*ep") || has(sn, "epi")) {
        refuse(out, TSC_SCOPE_EPI,
               "echo-planar series (functional, perfusion or diffusion): the model reads %s", seqs);
        return;
    }

    /* 5. Sequence family, only when the model declares its families and the
     * headers tell one it did not learn. */
    if (sc->n_sequences && out->sequence_family[0] &&
        !listed(sc->sequences, sc->n_sequences, out->sequence_family)) {
        const char *f = out->sequence_family;
        refuse(out, TSC_SCOPE_SEQUENCE, "%s series: the model reads %s",
               !strcmp(f, "PD") ? "proton-density" : !strcmp(f, "T2*") ? "T2*/susceptibility" : f,
               seqs);
        return;
    }

    /* 6. Plane. */
    if (sc->n_planes && in.has_orientation) {
        int ok = 0;
        for (size_t i = 0; i < sc->n_planes; i++)
            if (sc->planes[i] == out->plane) ok = 1;
        if (!ok) {
            char planes[64] = "";
            for (size_t i = 0; i < sc->n_planes; i++) {
                size_t l = strlen(planes);
                snprintf(planes + l, sizeof planes - l, "%s%s",
                         i == 0 ? "" : i + 1 == sc->n_planes ? " and " : ", ",
                         tsc_plane_to_string(sc->planes[i]));
            }
            if (out->plane == TSC_PLANE_OBLIQUE)
                refuse(out, TSC_SCOPE_PLANE,
                       "oblique slices (%.0f° from the nearest plane): this model reads %s slices "
                       "tilted by up to %.0f°",
                       out->oblique_deg, planes, sc->max_oblique_deg);
            else
                refuse(out, TSC_SCOPE_PLANE, "%s slices: this model reads %s",
                       tsc_plane_to_string(out->plane), planes);
            /* A thin, gap-free 3D volume can be reformatted into a plane the
             * model reads. */
            double sp = in.slice_spacing > 0 ? in.slice_spacing : in.slice_thickness;
            out->reformat_possible =
                has(in.mr_acquisition_type, "3D") && in.slice_thickness > 0 &&
                in.slice_thickness <= 1.5 && sp > 0 && sp <= in.slice_thickness * 1.05 + 0.01 &&
                !in.uneven_spacing && in.n_slices >= 64 &&
                fmax(in.pixel_spacing[0], in.pixel_spacing[1]) <= 1.5;
            return;
        }
    }

    /* 7. Pixel spacing and matrix. */
    double px = fmax(in.pixel_spacing[0], in.pixel_spacing[1]);
    if (px > 0 && (px < sc->pixel_spacing_mm[0] || px > sc->pixel_spacing_mm[1])) {
        refuse(out, TSC_SCOPE_SPACING,
               "pixels of %.2f mm are outside the %.2f-%.2f mm the model reads (a low-resolution "
               "or unusual acquisition)",
               px, sc->pixel_spacing_mm[0], sc->pixel_spacing_mm[1]);
        return;
    }
    int mn = in.rows < in.cols ? in.rows : in.cols;
    if (sc->min_matrix > 0 && mn > 0 && mn < sc->min_matrix) {
        refuse(out, TSC_SCOPE_MATRIX,
               "a %dx%d matrix is under the %dx%d the model needs (too coarse to read)", in.cols,
               in.rows, sc->min_matrix, sc->min_matrix);
        return;
    }
}
