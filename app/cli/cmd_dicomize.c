/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope dicomize: an MR DICOM series from PNG slices or a NIfTI volume. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_util.h"
#include "tsc_io.h"
#include "tsc_log.h"

/* The DICOM writer lives in the plugin; set by tsc_cli_dicomize(). */
static const tsc_plugin_api *api;

#ifndef TSC_VERSION
#define TSC_VERSION "dev"
#endif

static void dicomize_usage(FILE *f)
{
    fprintf(f,
            "usage: tumorscope dicomize --out DIR [OPTIONS] INPUT...\n"
            "\n"
            "Builds an MR Image Storage series (one file per slice, IM0001.dcm ...) or,\n"
            "with --multiframe, one Enhanced MR Image Storage object, from:\n"
            "  - PNG slices: files and/or folders of *.png (8- or 16-bit grayscale), in\n"
            "    name order (numbers compared as numbers); the first is the most inferior\n"
            "    slice; or\n"
            "  - one NIfTI-1 volume (.nii or .nii.gz), resampled to axial slices.\n"
            "Inputs are only read.  Every file is written atomically (temporary file, then\n"
            "rename).\n"
            "\n"
            "Output:\n"
            "  --out DIR               a new or empty folder (created with its parents)\n"
            "  --force                 also write into a non-empty folder (files of the same\n"
            "                          name are replaced, others are left alone)\n"
            "  --multiframe            one Enhanced MR object with per-frame functional groups\n"
            "  --compress KIND         none (default), jpeg-ls, rle, jpeg-lossless, deflate\n"
            "                          (all lossless)\n"
            "\n"
            "Patient, study and series (free text is UTF-8; use synthetic identifiers):\n"
            "  --patient-name NAME     DICOM PN, e.g. 'Doe^Jane'\n"
            "  --patient-id ID  --birth-date YYYYMMDD  --sex M|F|O\n"
            "  --study-description TEXT  --study-id ID  --accession NUMBER\n"
            "  --study-date YYYYMMDD  --study-time HHMMSS   (default: SOURCE_DATE_EPOCH or now)\n"
            "  --study-uid UID         add the series to this existing study\n"
            "  --series-description TEXT  --series-number N (default 1)\n"
            "  --institution TEXT  --manufacturer TEXT  --body-part TEXT (default HEAD)\n"
            "  --sequence-name TEXT    SequenceName\n"
            "  --contrast AGENT        ContrastBolusAgent (marks the series post-contrast)\n"
            "  --frame-of-reference-uid UID  share the frame of reference of another series\n"
            "\n"
            "UIDs:\n"
            "  --uid-seed TEXT         deterministic UIDs: the same seed and series number give\n"
            "                          the same UIDs (the study UID comes from the seed alone,\n"
            "                          so series with different numbers form one study)\n"
            "  --uid-root ROOT         your organisation's registered UID root (<= 24 chars);\n"
            "                          default: UUID-derived 2.25.<n> UIDs\n"
            "\n"
            "Geometry (mm; DICOM patient axes: x to the left, y to the back, z to the head):\n"
            "  --spacing MM[,MM]       in-plane pixel spacing, rows then columns (PNG: default 1;\n"
            "                          NIfTI: resample to it, default the volume's)\n"
            "  --slice-spacing MM      distance between slice centres (PNG: default the\n"
            "                          thickness or 1; NIfTI: resample to it)\n"
            "  --thickness MM          SliceThickness (default the slice spacing); NIfTI: each\n"
            "                          slice averages the volume over this thickness\n"
            "  --origin X,Y,Z          PNG: position of the first pixel of the first slice\n"
            "                          (default: the stack centred on 0,0,0)\n"
            "  --size COLSxROWS        NIfTI: output matrix (default: the volume's extent)\n"
            "  --center X,Y            NIfTI: centre of the field of view (default the volume's)\n"
            "  --z-range FROM:TO       NIfTI: first and last slice centre (default the volume's\n"
            "                          extent)\n"
            "\n"
            "Values:\n"
            "  --scale S  --offset O   value = input * S + O (default 1 and 0)\n"
            "  --signed                signed 16-bit pixels (default unsigned)\n"
            "  --rescale-slope M  --rescale-intercept B\n"
            "                          store (value - B) / M and write RescaleSlope/Intercept\n"
            "  --window CENTER,WIDTH   default window (default: 0.5-99.5 percentile of the\n"
            "                          non-background pixels)\n"
            "\n"
            "Mask (for tests and ground truth):\n"
            "  --mask PATH             a mask of the same kind as the input (PNG slices or a\n"
            "                          NIfTI volume), non-zero = inside; resampled like the image\n"
            "  --mask-out DIR          write it as 8-bit PNGs (0/255) named after the DICOM files\n"
            "                          (IM0001.png ...)\n"
            "\n"
            "  -v, --verbose           report progress on stderr\n"
            "  -h, --help              this text\n"
            "\n"
            "Exit status: 0 ok, 1 the output could not be written (or the folder is not\n"
            "empty), 2 usage error, 3 an input is unreadable.\n");
}

typedef struct options {
    const char *out, *mask, *mask_out;
    int force, verbose;
    const char **inputs;
    size_t n_inputs;
    double spacing[2];
    int has_spacing;
    double slice_spacing, thickness;
    double origin[3];
    int has_origin;
    int size[2];
    double center[2];
    int has_center;
    double z_range[2];
    int has_z_range;
    double scale, offset;
    tsc_dicom_write_params w;
} options;

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "tumorscope dicomize: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see tumorscope dicomize --help)\n");
    va_end(ap);
    return TSC_EXIT_USAGE;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

/* "a,b" (or "a:b" / "axb" when sep allows) into n doubles. */
static int parse_doubles(const char *s, const char *seps, double *out, int n)
{
    char buf[256];
    if (strlen(s) >= sizeof buf) return 0;
    strcpy(buf, s);
    char *p = buf;
    for (int i = 0; i < n; i++) {
        char *q = p;
        if (i < n - 1) {
            q = strpbrk(p, seps);
            if (!q) return 0;
            *q = '\0';
            q++;
        }
        if (!parse_double(p, &out[i])) return 0;
        p = q;
    }
    return 1;
}

static int parse_int(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < INT_MIN || v > INT_MAX) return 0;
    *out = (int)v;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int is_nifti_name(const char *s)
{
    return ends_with(s, ".nii") || ends_with(s, ".nii.gz");
}

/* Parses argv into `o`; returns -1 to go on, else the exit status. */
/* Options whose value is kept as given, in the order of string_field(). */
enum {
    OPT_OUT = 256,
    OPT_MASK,
    OPT_MASK_OUT,
    OPT_PATIENT_NAME,
    OPT_PATIENT_ID,
    OPT_BIRTH_DATE,
    OPT_SEX,
    OPT_STUDY_DESCRIPTION,
    OPT_STUDY_ID,
    OPT_STUDY_DATE,
    OPT_STUDY_TIME,
    OPT_STUDY_UID,
    OPT_ACCESSION,
    OPT_INSTITUTION,
    OPT_MANUFACTURER,
    OPT_SERIES_DESCRIPTION,
    OPT_SEQUENCE_NAME,
    OPT_CONTRAST,
    OPT_BODY_PART,
    OPT_FRAME_OF_REFERENCE_UID,
    OPT_UID_SEED,
    OPT_UID_ROOT,
    OPT_STRING_END,
    /* Flags and options with a parsed value. */
    OPT_FORCE,
    OPT_MULTIFRAME,
    OPT_SIGNED,
    OPT_COMPRESS,
    OPT_SERIES_NUMBER,
    OPT_SPACING,
    OPT_SLICE_SPACING,
    OPT_THICKNESS,
    OPT_ORIGIN,
    OPT_SIZE,
    OPT_CENTER,
    OPT_Z_RANGE,
    OPT_SCALE,
    OPT_OFFSET,
    OPT_RESCALE_SLOPE,
    OPT_RESCALE_INTERCEPT,
    OPT_WINDOW
};

static const struct option dicomize_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"verbose", no_argument, NULL, 'v'},
    {"out", required_argument, NULL, OPT_OUT},
    {"mask", required_argument, NULL, OPT_MASK},
    {"mask-out", required_argument, NULL, OPT_MASK_OUT},
    {"patient-name", required_argument, NULL, OPT_PATIENT_NAME},
    {"patient-id", required_argument, NULL, OPT_PATIENT_ID},
    {"birth-date", required_argument, NULL, OPT_BIRTH_DATE},
    {"sex", required_argument, NULL, OPT_SEX},
    {"study-description", required_argument, NULL, OPT_STUDY_DESCRIPTION},
    {"study-id", required_argument, NULL, OPT_STUDY_ID},
    {"study-date", required_argument, NULL, OPT_STUDY_DATE},
    {"study-time", required_argument, NULL, OPT_STUDY_TIME},
    {"study-uid", required_argument, NULL, OPT_STUDY_UID},
    {"accession", required_argument, NULL, OPT_ACCESSION},
    {"institution", required_argument, NULL, OPT_INSTITUTION},
    {"manufacturer", required_argument, NULL, OPT_MANUFACTURER},
    {"series-description", required_argument, NULL, OPT_SERIES_DESCRIPTION},
    {"sequence-name", required_argument, NULL, OPT_SEQUENCE_NAME},
    {"contrast", required_argument, NULL, OPT_CONTRAST},
    {"body-part", required_argument, NULL, OPT_BODY_PART},
    {"frame-of-reference-uid", required_argument, NULL, OPT_FRAME_OF_REFERENCE_UID},
    {"uid-seed", required_argument, NULL, OPT_UID_SEED},
    {"uid-root", required_argument, NULL, OPT_UID_ROOT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"multiframe", no_argument, NULL, OPT_MULTIFRAME},
    {"signed", no_argument, NULL, OPT_SIGNED},
    {"compress", required_argument, NULL, OPT_COMPRESS},
    {"series-number", required_argument, NULL, OPT_SERIES_NUMBER},
    {"spacing", required_argument, NULL, OPT_SPACING},
    {"slice-spacing", required_argument, NULL, OPT_SLICE_SPACING},
    {"thickness", required_argument, NULL, OPT_THICKNESS},
    {"origin", required_argument, NULL, OPT_ORIGIN},
    {"size", required_argument, NULL, OPT_SIZE},
    {"center", required_argument, NULL, OPT_CENTER},
    {"z-range", required_argument, NULL, OPT_Z_RANGE},
    {"scale", required_argument, NULL, OPT_SCALE},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"rescale-slope", required_argument, NULL, OPT_RESCALE_SLOPE},
    {"rescale-intercept", required_argument, NULL, OPT_RESCALE_INTERCEPT},
    {"window", required_argument, NULL, OPT_WINDOW},
    {NULL, 0, NULL, 0}};

/* Where the value of string option `code` goes. */
static const char **string_field(options *o, int code)
{
    tsc_dicom_write_params *w = &o->w;
    const char **fields[] = {
        &o->out,           &o->mask,           &o->mask_out,     &w->patient_name,
        &w->patient_id,    &w->birth_date,     &w->sex,          &w->study_description,
        &w->study_id,      &w->study_date,     &w->study_time,   &w->study_uid,
        &w->accession,     &w->institution,    &w->manufacturer, &w->series_description,
        &w->sequence_name, &w->contrast_agent, &w->body_part,    &w->frame_of_reference_uid,
        &w->uid_seed,      &w->uid_root};
    _Static_assert(sizeof fields / sizeof fields[0] == OPT_STRING_END - OPT_OUT,
                   "one field per string option");
    return fields[code - OPT_OUT];
}

/* Number option `opt` (a positive one where `positive`): its value in
 * *out, else the usage error. */
static int number_option(const char *opt, const char *val, int positive, double *out)
{
    if (parse_double(val, out) && (!positive || *out > 0)) return 0;
    return usage_error("%s: '%s' is not a %snumber", opt, val, positive ? "positive " : "");
}

/* Coordinates option `opt`: n numbers separated by one of `seps` into
 * out[], then *has set; else the usage error naming the `form` expected. */
static int coords_option(const char *opt, const char *val, const char *seps, double *out, int n,
                         const char *form, int *has)
{
    if (!parse_doubles(val, seps, out, n)) return usage_error("%s: '%s' is not %s", opt, val, form);
    *has = 1;
    return 0;
}

/* Two numbers "A,B" (or one, used twice, where `one_for_both`). */
static int parse_pair(const char *val, const char *seps, int one_for_both, double out[2])
{
    if (parse_doubles(val, seps, out, 2)) return 1;
    if (one_for_both && parse_double(val, &out[0])) {
        out[1] = out[0];
        return 1;
    }
    return 0;
}

/* The geometry options (PNG spacing and origin, NIfTI cropping). */
static int geometry_option(options *o, int code, const char *val)
{
    double s[2];
    switch (code) {
    case OPT_SPACING:
        if (!parse_pair(val, ",x", 1, s))
            return usage_error("--spacing: '%s' is not MM or MM,MM", val);
        if (!(s[0] > 0 && s[1] > 0)) return usage_error("--spacing: '%s' must be positive", val);
        o->spacing[0] = s[0];
        o->spacing[1] = s[1];
        o->has_spacing = 1;
        return 0;
    case OPT_SLICE_SPACING: return number_option("--slice-spacing", val, 1, &o->slice_spacing);
    case OPT_THICKNESS: return number_option("--thickness", val, 1, &o->thickness);
    case OPT_ORIGIN:
        return coords_option("--origin", val, ",", o->origin, 3, "X,Y,Z", &o->has_origin);
    case OPT_SIZE:
        if (!parse_pair(val, "x,", 1, s)) return usage_error("--size: '%s' is not COLSxROWS", val);
        if (s[0] < 1 || s[1] < 1 || s[0] > 4096 || s[1] > 4096 || s[0] != floor(s[0]) ||
            s[1] != floor(s[1]))
            return usage_error("--size: '%s' must be whole numbers from 1 to 4096", val);
        o->size[0] = (int)s[0];
        o->size[1] = (int)s[1];
        return 0;
    case OPT_CENTER:
        return coords_option("--center", val, ",", o->center, 2, "X,Y", &o->has_center);
    case OPT_Z_RANGE:
        if (!parse_doubles(val, ":,", o->z_range, 2))
            return usage_error("--z-range: '%s' is not FROM:TO", val);
        if (o->z_range[0] > o->z_range[1])
            return usage_error("--z-range: '%s' must go from inferior to superior", val);
        o->has_z_range = 1;
        return 0;
    }
    return -1;
}

/* The pixel value options (scaling, rescale, window, compression). */
static int value_option(options *o, int code, const char *val)
{
    tsc_dicom_write_params *w = &o->w;
    switch (code) {
    case OPT_COMPRESS:
        if (!api->dicom_write_compression_from_name(val, &w->compression))
            return usage_error(
                "--compress: '%s' is not one of none, jpeg-ls, rle, jpeg-lossless, deflate", val);
        return 0;
    case OPT_SERIES_NUMBER:
        if (!parse_int(val, &w->series_number) || w->series_number < 0)
            return usage_error("--series-number: '%s' is not a non-negative integer", val);
        return 0;
    case OPT_SCALE: return number_option("--scale", val, 0, &o->scale);
    case OPT_OFFSET: return number_option("--offset", val, 0, &o->offset);
    case OPT_RESCALE_SLOPE:
        if (!parse_double(val, &w->rescale_slope) || w->rescale_slope == 0)
            return usage_error("--rescale-slope: '%s' is not a non-zero number", val);
        w->write_rescale = 1;
        return 0;
    case OPT_RESCALE_INTERCEPT:
        w->write_rescale = 1;
        return number_option("--rescale-intercept", val, 0, &w->rescale_intercept);
    case OPT_WINDOW: {
        double cw[2];
        if (!parse_doubles(val, ",:", cw, 2) || !(cw[1] > 0))
            return usage_error("--window: '%s' is not CENTER,WIDTH with WIDTH > 0", val);
        w->window_center = cw[0];
        w->window_width = cw[1];
        return 0;
    }
    }
    return -1;
}

static int dicomize_option(int code, const char *val, void *user)
{
    options *o = user;
    if (code >= OPT_OUT && code < OPT_STRING_END) {
        *string_field(o, code) = val;
        return 0;
    }
    switch (code) {
    case 'h': dicomize_usage(stdout); return TSC_CLI_DONE;
    case 'v': o->verbose = 1; return 0;
    case OPT_FORCE: o->force = 1; return 0;
    case OPT_MULTIFRAME: o->w.multiframe = 1; return 0;
    case OPT_SIGNED: o->w.pixel_signed = 1; return 0;
    }
    int rc = geometry_option(o, code, val);
    return rc >= 0 ? rc : value_option(o, code, val);
}

/* The combinations the options allow. */
static int check_options(const options *o)
{
    if (!o->out) return usage_error("%s", "--out DIR is required");
    if (o->n_inputs == 0) return usage_error("%s", "no input given");
    if (o->mask_out && !o->mask) return usage_error("%s", "--mask-out needs --mask");
    int n_nifti = 0;
    for (size_t i = 0; i < o->n_inputs; i++) n_nifti += is_nifti_name(o->inputs[i]);
    if (n_nifti && o->n_inputs != 1)
        return usage_error("%s", "give either one NIfTI volume or PNG slices, not both");
    if (!n_nifti && (o->size[0] || o->has_center || o->has_z_range))
        return usage_error("%s", "--size, --center and --z-range apply to NIfTI input only");
    if (n_nifti && o->has_origin)
        return usage_error("%s", "--origin applies to PNG input only (NIfTI has its own)");
    return -1;
}

/* -1 to go on, else the exit status (TSC_EXIT_OK after --help). */
static int parse_args(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->scale = 1.0;
    o->w = api->dicom_write_default_params();
    o->w.software_versions = "tumorscope " TSC_VERSION;
    o->inputs = calloc((size_t)argc, sizeof *o->inputs);
    if (!o->inputs) return TSC_EXIT_FAILURE;
    int rc = tsc_cli_parse_options("dicomize", argc, argv, dicomize_options, dicomize_option, o,
                                   o->inputs, &o->n_inputs);
    if (rc == TSC_CLI_DONE) return TSC_EXIT_OK;
    if (rc != 0) return rc;
    return check_options(o);
}

/* ---- the stack to write ---------------------------------------------------- */

typedef struct stack {
    int cols, rows;
    size_t n;
    float *values;     /* n * rows * cols */
    double *positions; /* 3 * n */
    uint8_t *mask;     /* n * rows * cols, 0/1, or NULL */
    double spacing[2], slice_spacing, thickness;
    char derivation[256];
} stack;

static void stack_free(stack *s)
{
    free(s->values);
    free(s->positions);
    free(s->mask);
}

/* Expands files and folders into a sorted list of PNG paths. */
static tsc_status collect_pngs(const char *const *inputs, size_t n_inputs, char ***out,
                               size_t *count, tsc_error *err)
{
    char **all = NULL;
    size_t n = 0;
    *out = NULL;
    *count = 0;
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat st;
        if (stat(inputs[i], &st) != 0) {
            tsc_io_free_paths(all, n);
            return tsc_error_set(err, TSC_ENOTFOUND, "%s: %s", inputs[i], strerror(errno));
        }
        char **part = NULL;
        size_t np = 0;
        if (S_ISDIR(st.st_mode)) {
            static const char *const png[] = {".png"};
            tsc_status s = tsc_io_list_dir(inputs[i], png, 1, &part, &np, err);
            if (s != TSC_OK) {
                tsc_io_free_paths(all, n);
                return s;
            }
            if (np == 0) {
                tsc_io_free_paths(all, n);
                free(part);
                return tsc_error_set(err, TSC_ENOTFOUND, "%s: the folder has no .png files",
                                     inputs[i]);
            }
        } else {
            part = malloc(sizeof *part);
            if (part) part[0] = strdup(inputs[i]);
            if (!part || !part[0]) {
                free(part);
                tsc_io_free_paths(all, n);
                return tsc_error_set(err, TSC_ENOMEM, "out of memory");
            }
            np = 1;
        }
        char **grown = realloc(all, (n + np) * sizeof *all);
        if (!grown) {
            tsc_io_free_paths(part, np);
            tsc_io_free_paths(all, n);
            return tsc_error_set(err, TSC_ENOMEM, "out of memory");
        }
        all = grown;
        memcpy(all + n, part, np * sizeof *part);
        free(part);
        n += np;
    }
    *out = all;
    *count = n;
    return TSC_OK;
}

/* Reads PNG slices; `values` gets v*scale+offset, or `mask` gets v != 0. */
static tsc_status read_png_stack(char **paths, size_t n, const options *o, stack *s, int as_mask,
                                 tsc_error *err)
{
    for (size_t k = 0; k < n; k++) {
        tsc_gray_image *im = NULL;
        tsc_status st = tsc_png_read(paths[k], &im, err);
        if (st != TSC_OK) return st;
        if (k == 0 && !as_mask) {
            s->cols = im->width;
            s->rows = im->height;
            size_t total = n * (size_t)im->width * (size_t)im->height;
            s->values = malloc(total * sizeof *s->values);
            if (!s->values) {
                tsc_gray_image_free(im);
                return tsc_error_set(err, TSC_ENOMEM, "out of memory for %zu slices", n);
            }
        }
        if (k == 0 && as_mask) {
            s->mask = calloc(n * (size_t)s->cols * (size_t)s->rows, 1);
            if (!s->mask) {
                tsc_gray_image_free(im);
                return tsc_error_set(err, TSC_ENOMEM, "out of memory for the mask");
            }
        }
        if (im->width != s->cols || im->height != s->rows) {
            tsc_status r = tsc_error_set(err, TSC_EFORMAT,
                                         "%s: %dx%d pixels, but the first slice is %dx%d; all "
                                         "slices must have one size",
                                         paths[k], im->width, im->height, s->cols, s->rows);
            tsc_gray_image_free(im);
            return r;
        }
        size_t per = (size_t)s->cols * (size_t)s->rows;
        for (size_t i = 0; i < per; i++) {
            unsigned v = im->bit_depth == 8 ? ((uint8_t *)im->pixels)[i]
                                            : ((uint16_t *)im->pixels)[i];
            if (as_mask)
                s->mask[k * per + i] = v != 0;
            else
                s->values[k * per + i] = (float)(v * o->scale + o->offset);
        }
        tsc_gray_image_free(im);
    }
    return TSC_OK;
}

static tsc_status load_pngs(const options *o, stack *s, tsc_error *err)
{
    char **paths;
    size_t n;
    tsc_status st = collect_pngs(o->inputs, o->n_inputs, &paths, &n, err);
    if (st != TSC_OK) return st;
    st = read_png_stack(paths, n, o, s, 0, err);
    tsc_io_free_paths(paths, n);
    if (st != TSC_OK) return st;
    s->n = n;
    s->spacing[0] = o->has_spacing ? o->spacing[0] : 1.0;
    s->spacing[1] = o->has_spacing ? o->spacing[1] : 1.0;
    s->slice_spacing = o->slice_spacing > 0 ? o->slice_spacing : o->thickness > 0 ? o->thickness : 1.0;
    s->thickness = o->thickness > 0 ? o->thickness : s->slice_spacing;
    s->positions = malloc(3 * n * sizeof *s->positions);
    if (!s->positions) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    double origin[3];
    if (o->has_origin) {
        memcpy(origin, o->origin, sizeof origin);
    } else {
        origin[0] = -(s->cols - 1) / 2.0 * s->spacing[1];
        origin[1] = -(s->rows - 1) / 2.0 * s->spacing[0];
        origin[2] = -((double)n - 1) / 2.0 * s->slice_spacing;
    }
    for (size_t k = 0; k < n; k++) {
        s->positions[3 * k] = origin[0];
        s->positions[3 * k + 1] = origin[1];
        s->positions[3 * k + 2] = origin[2] + (double)k * s->slice_spacing;
    }
    snprintf(s->derivation, sizeof s->derivation,
             "converted from %zu PNG slice(s) by tumorscope dicomize", n);
    if (o->mask) {
        const char *const mask_inputs[] = {o->mask};
        char **mpaths;
        size_t mn;
        st = collect_pngs(mask_inputs, 1, &mpaths, &mn, err);
        if (st != TSC_OK) return st;
        if (mn != n) {
            tsc_io_free_paths(mpaths, mn);
            return tsc_error_set(err, TSC_EFORMAT, "%s: %zu mask slice(s) for %zu image slice(s)",
                                 o->mask, mn, n);
        }
        st = read_png_stack(mpaths, mn, o, s, 1, err);
        tsc_io_free_paths(mpaths, mn);
        if (st != TSC_OK) return st;
    }
    return TSC_OK;
}

/* ---- NIfTI resampling ------------------------------------------------------ */

/* Inverse of the 3x3 part; returns 0 when singular. */
static int invert3(const double m[3][4], double inv[3][3])
{
    double a = m[0][0], b = m[0][1], c = m[0][2], d = m[1][0], e = m[1][1], f = m[1][2],
           g = m[2][0], h = m[2][1], i = m[2][2];
    double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    if (!(fabs(det) > 1e-12)) return 0;
    inv[0][0] = (e * i - f * h) / det;
    inv[0][1] = (c * h - b * i) / det;
    inv[0][2] = (b * f - c * e) / det;
    inv[1][0] = (f * g - d * i) / det;
    inv[1][1] = (a * i - c * g) / det;
    inv[1][2] = (c * d - a * f) / det;
    inv[2][0] = (d * h - e * g) / det;
    inv[2][1] = (b * g - a * h) / det;
    inv[2][2] = (a * e - b * d) / det;
    return 1;
}

/* The grid a volume is resampled to: axial slices in LPS. */
typedef struct grid {
    int cols, rows;
    size_t n;
    double x0, y0, z0;     /* LPS centre of the first pixel of the first slice */
    double dx, dy, dz;     /* column, row and slice spacing */
    double thickness;
    int slab;              /* samples averaged across the thickness */
    double inv[3][3];      /* world (RAS) -> voxel index */
    double t[3];
} grid;

static tsc_status make_grid(const tsc_volume *v, const options *o, grid *g, tsc_error *err,
                            const char *name)
{
    if (!invert3(v->ijk_to_xyz, g->inv))
        return tsc_error_set(err, TSC_EFORMAT, "%s: the voxel-to-world transform is singular",
                             name);
    for (int r = 0; r < 3; r++) g->t[r] = v->ijk_to_xyz[r][3];
    /* Extent of the voxel centres, in LPS. */
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int c = 0; c < 8; c++) {
        double xyz[3];
        tsc_volume_voxel_to_world(v, (c & 1) ? v->nx - 1 : 0, (c & 2) ? v->ny - 1 : 0,
                                  (c & 4) ? v->nz - 1 : 0, xyz);
        double lps[3] = {-xyz[0], -xyz[1], xyz[2]};
        for (int a = 0; a < 3; a++) {
            if (lps[a] < lo[a]) lo[a] = lps[a];
            if (lps[a] > hi[a]) hi[a] = lps[a];
        }
    }
    /* Native spacing along each patient axis: that of the voxel axis most
     * aligned with it. */
    double native[3];
    for (int a = 0; a < 3; a++) {
        int best = 0;
        double best_c = -1;
        for (int k = 0; k < 3; k++) {
            double c = fabs(v->ijk_to_xyz[a][k]) / v->spacing[k];
            if (c > best_c) {
                best_c = c;
                best = k;
            }
        }
        native[a] = v->spacing[best];
    }
    g->dx = o->has_spacing ? o->spacing[1] : native[0];
    g->dy = o->has_spacing ? o->spacing[0] : native[1];
    g->dz = o->slice_spacing > 0 ? o->slice_spacing : native[2];
    g->thickness = o->thickness > 0 ? o->thickness : g->dz;
    g->slab = (int)floor(g->thickness / native[2] + 0.5);
    if (g->slab < 1) g->slab = 1;
    if (g->slab > 64) g->slab = 64;
    if (o->size[0]) {
        g->cols = o->size[0];
        g->rows = o->size[1];
    } else {
        g->cols = (int)floor((hi[0] - lo[0]) / g->dx + 1e-6) + 1;
        g->rows = (int)floor((hi[1] - lo[1]) / g->dy + 1e-6) + 1;
    }
    if (g->cols > 4096 || g->rows > 4096)
        return tsc_error_set(err, TSC_ELIMIT,
                             "%s: the output would be %dx%d pixels; choose --size or --spacing",
                             name, g->cols, g->rows);
    double cx = o->has_center ? o->center[0] : (lo[0] + hi[0]) / 2;
    double cy = o->has_center ? o->center[1] : (lo[1] + hi[1]) / 2;
    g->x0 = cx - (g->cols - 1) / 2.0 * g->dx;
    g->y0 = cy - (g->rows - 1) / 2.0 * g->dy;
    double z_from = o->has_z_range ? o->z_range[0] : lo[2];
    double z_to = o->has_z_range ? o->z_range[1] : hi[2];
    g->z0 = z_from;
    g->n = (size_t)floor((z_to - z_from) / g->dz + 1e-6) + 1;
    if (g->n > 4096)
        return tsc_error_set(err, TSC_ELIMIT, "%s: %zu slices is too many; check --z-range", name,
                             g->n);
    return TSC_OK;
}

/* Resamples `v` on the grid: trilinear, averaged over the slab thickness;
 * outside the volume counts as 0. */
static void resample(const tsc_volume *v, const grid *g, float *out)
{
    size_t per = (size_t)g->cols * (size_t)g->rows;
    for (size_t k = 0; k < g->n; k++) {
        double zc = g->z0 + (double)k * g->dz;
        for (int r = 0; r < g->rows; r++) {
            for (int c = 0; c < g->cols; c++) {
                double x = g->x0 + c * g->dx, y = g->y0 + r * g->dy;
                double sum = 0;
                for (int s = 0; s < g->slab; s++) {
                    double z = g->slab == 1 ? zc
                                            : zc - g->thickness / 2 +
                                                  (s + 0.5) * g->thickness / g->slab;
                    /* LPS -> RAS -> voxel index. */
                    double w[3] = {-x - g->t[0], -y - g->t[1], z - g->t[2]};
                    double ijk[3];
                    for (int a = 0; a < 3; a++)
                        ijk[a] = g->inv[a][0] * w[0] + g->inv[a][1] * w[1] + g->inv[a][2] * w[2];
                    float val = tsc_volume_sample(v, ijk[0], ijk[1], ijk[2], 0.0f);
                    sum += isfinite(val) ? val : 0.0;
                }
                out[k * per + (size_t)r * g->cols + c] = (float)(sum / g->slab);
            }
        }
    }
}

static tsc_status load_nifti(const options *o, stack *s, tsc_error *err)
{
    tsc_volume *v = NULL;
    tsc_status st = tsc_nifti_read(o->inputs[0], NULL, &v, err);
    if (st != TSC_OK) return st;
    if (v->n_volumes > 1)
        tsc_log(TSC_LOG_WARNING, "dicomize", "the NIfTI file holds %d volumes; using the first",
                v->n_volumes);
    grid g;
    st = make_grid(v, o, &g, err, o->inputs[0]);
    if (st != TSC_OK) {
        tsc_volume_free(v);
        return st;
    }
    size_t per = (size_t)g.cols * (size_t)g.rows;
    s->cols = g.cols;
    s->rows = g.rows;
    s->n = g.n;
    s->values = malloc(g.n * per * sizeof *s->values);
    s->positions = malloc(3 * g.n * sizeof *s->positions);
    if (!s->values || !s->positions) {
        tsc_volume_free(v);
        return tsc_error_set(err, TSC_ENOMEM, "out of memory for %zu slices", g.n);
    }
    resample(v, &g, s->values);
    tsc_volume_free(v);
    for (size_t i = 0; i < g.n * per; i++) s->values[i] = (float)(s->values[i] * o->scale + o->offset);
    for (size_t k = 0; k < g.n; k++) {
        s->positions[3 * k] = g.x0;
        s->positions[3 * k + 1] = g.y0;
        s->positions[3 * k + 2] = g.z0 + (double)k * g.dz;
    }
    s->spacing[0] = g.dy;
    s->spacing[1] = g.dx;
    s->slice_spacing = g.dz;
    s->thickness = g.thickness;
    snprintf(s->derivation, sizeof s->derivation,
             "resampled from a NIfTI volume to %g mm axial slices by tumorscope dicomize",
             g.thickness);
    if (o->mask) {
        tsc_volume *m = NULL;
        st = tsc_nifti_read(o->mask, NULL, &m, err);
        if (st != TSC_OK) return st;
        /* The mask is resampled on the image's grid (in world space, so its
         * own voxel grid may differ) and kept where it covers half a pixel. */
        grid mg = g;
        if (!invert3(m->ijk_to_xyz, mg.inv)) {
            tsc_volume_free(m);
            return tsc_error_set(err, TSC_EFORMAT, "%s: the voxel-to-world transform is singular",
                                 o->mask);
        }
        for (int r = 0; r < 3; r++) mg.t[r] = m->ijk_to_xyz[r][3];
        for (size_t i = 0; i < (size_t)m->nx * m->ny * m->nz; i++)
            m->data[i] = m->data[i] != 0 && isfinite(m->data[i]) ? 1.0f : 0.0f;
        float *tmp = malloc(g.n * per * sizeof *tmp);
        s->mask = malloc(g.n * per);
        if (!tmp || !s->mask) {
            free(tmp);
            tsc_volume_free(m);
            return tsc_error_set(err, TSC_ENOMEM, "out of memory for the mask");
        }
        resample(m, &mg, tmp);
        tsc_volume_free(m);
        for (size_t i = 0; i < g.n * per; i++) s->mask[i] = tmp[i] >= 0.5f;
        free(tmp);
    }
    return TSC_OK;
}

/* ---- output ---------------------------------------------------------------- */

static tsc_status write_mask_pngs(const char *dir, const stack *s, int force, tsc_error *err)
{
    tsc_status st = tsc_io_prepare_output_dir(dir, force, err);
    if (st != TSC_OK) return st;
    tsc_gray_image *im = tsc_gray_image_new(s->cols, s->rows, 8);
    if (!im) return tsc_error_set(err, TSC_ENOMEM, "out of memory");
    size_t per = (size_t)s->cols * (size_t)s->rows;
    for (size_t k = 0; k < s->n && st == TSC_OK; k++) {
        for (size_t i = 0; i < per; i++) ((uint8_t *)im->pixels)[i] = s->mask[k * per + i] ? 255 : 0;
        size_t n = strlen(dir) + 32;
        char *path = malloc(n);
        if (!path) {
            st = tsc_error_set(err, TSC_ENOMEM, "out of memory");
            break;
        }
        snprintf(path, n, "%s/IM%04zu.png", dir, k + 1);
        st = tsc_png_write(path, im, err);
        free(path);
    }
    tsc_gray_image_free(im);
    return st;
}

/* Non-zero when `out` (existing or not) is the folder of one of the inputs:
 * we never write next to the inputs. */
static const char *output_in_input_folder(const options *o)
{
    char out_real[PATH_MAX];
    if (!realpath(o->out, out_real)) return NULL; /* does not exist yet: cannot be an input's */
    for (size_t i = 0; i < o->n_inputs + (o->mask ? 1 : 0); i++) {
        const char *in = i < o->n_inputs ? o->inputs[i] : o->mask;
        char in_real[PATH_MAX];
        if (!realpath(in, in_real)) continue;
        struct stat st;
        if (stat(in_real, &st) == 0 && !S_ISDIR(st.st_mode)) {
            char *slash = strrchr(in_real, '/');
            if (slash && slash != in_real) *slash = '\0';
            else if (slash) slash[1] = '\0';
        }
        if (!strcmp(in_real, out_real)) return in;
    }
    return NULL;
}

int tsc_cli_dicomize(int argc, char **argv)
{
    if (!(api = tsc_cli_plugin())) return TSC_EXIT_FAILURE;
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0) {
        free(o.inputs);
        return rc;
    }
    tsc_cli_install_log(o.verbose);
    const char *clash = output_in_input_folder(&o);
    if (clash) {
        fprintf(stderr,
                "tumorscope dicomize: %s: the output folder holds the input %s; choose "
                "another --out\n",
                o.out, clash);
        free(o.inputs);
        return TSC_EXIT_USAGE;
    }
    size_t out_len = strlen(o.out);
    if (o.mask_out && (!strcmp(o.mask_out, o.out) ||
                       (!strncmp(o.mask_out, o.out, out_len) && o.mask_out[out_len] == '/'))) {
        free(o.inputs);
        return usage_error("%s", "--mask-out must be a folder outside --out");
    }

    stack s;
    memset(&s, 0, sizeof s);
    tsc_error err;
    tsc_error_clear(&err);
    tsc_status st = is_nifti_name(o.inputs[0]) ? load_nifti(&o, &s, &err) : load_pngs(&o, &s, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope dicomize: %s\n", err.message);
        stack_free(&s);
        free(o.inputs);
        return st == TSC_ENOMEM ? TSC_EXIT_FAILURE : TSC_EXIT_UNREADABLE;
    }
    tsc_log(TSC_LOG_INFO, "dicomize", "%zu slice(s) of %dx%d pixels, %g x %g mm, slices %g mm apart",
            s.n, s.cols, s.rows, s.spacing[1], s.spacing[0], s.slice_spacing);

    tsc_dicom_write_params w = o.w;
    w.pixel_spacing[0] = s.spacing[0];
    w.pixel_spacing[1] = s.spacing[1];
    w.slice_spacing = s.slice_spacing;
    w.slice_thickness = s.thickness;
    w.derivation = s.derivation;
    w.image_type3 = is_nifti_name(o.inputs[0]) ? "MPR" : "OTHER";
    w.allow_non_empty = o.force;
    /* Both outputs are checked before either is written, so that a refused
     * mask folder does not leave a series behind. */
    struct stat mst;
    int mask_dir_existed = o.mask_out && stat(o.mask_out, &mst) == 0;
    if (o.mask_out && (st = tsc_io_prepare_output_dir(o.mask_out, o.force, &err)) != TSC_OK) {
        fprintf(stderr, "tumorscope dicomize: mask: %s%s\n", err.message,
                st == TSC_EEXIST ? " (or add --force)" : "");
        stack_free(&s);
        free(o.inputs);
        return TSC_EXIT_FAILURE;
    }
    tsc_dicom_write_volume vol = {s.cols, s.rows, s.n, s.values, s.positions};
    tsc_dicom_write_result res = {.struct_size = sizeof res};
    st = api->dicom_write_series_v4(o.out, &w, &vol, &res, &err);
    if (st != TSC_OK) {
        fprintf(stderr, "tumorscope dicomize: %s%s\n", err.message,
                st == TSC_EEXIST ? " (or add --force)" : "");
        if (o.mask_out && !mask_dir_existed) rmdir(o.mask_out);
        stack_free(&s);
        free(o.inputs);
        return st == TSC_EINVAL ? TSC_EXIT_USAGE : TSC_EXIT_FAILURE;
    }
    if (o.mask_out) {
        st = write_mask_pngs(o.mask_out, &s, o.force, &err);
        if (st != TSC_OK) {
            fprintf(stderr, "tumorscope dicomize: mask: %s%s\n", err.message,
                    st == TSC_EEXIST ? " (or add --force)" : "");
            stack_free(&s);
            free(o.inputs);
            return TSC_EXIT_FAILURE;
        }
    }
    printf("wrote %zu file(s) to %s: %zu slice(s) %dx%d, %s, series %s\n", res.n_files, o.out,
           s.n, s.cols, s.rows, api->dicom_write_compression_name(w.compression), res.series_uid);
    if (res.n_clipped)
        printf("note: %zu value(s) were outside the stored range and clipped\n", res.n_clipped);
    stack_free(&s);
    free(o.inputs);
    return TSC_EXIT_OK;
}
