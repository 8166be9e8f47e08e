/* SPDX-License-Identifier: BSD-3-Clause */
/* tumorscope eval: accuracy, calibration and segmentation quality of the
 * analysis on labelled image datasets (index.csv + images/ [+ masks/]),
 * computed by our own C pipeline through the plugin ABI. */
#include <cairo.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_analysis.h"
#include "cli_util.h"
#include "result_json.h"
#include "tsc_io.h"
#include "tsc_plugin.h"

#define MAXC 16
#define ECE_BINS 15

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: tumorscope eval --dataset DIR [--dataset DIR ...] [options]\n"
               "\n"
               "Runs the analysis on every image of the chosen split of each dataset\n"
               "(index.csv + images/<id>.png [+ masks/<id>.png]) and prints the metrics.\n"
               "\n"
               "  --split S          train, val or test (default test)\n"
               "  --normal-dicom P   also analyse every slice of the DICOM series under P,\n"
               "                     all known to be free of tumour (false-positive rate);\n"
               "                     repeatable\n"
               "  --method M         cnn (default), threshold or region-growing\n"
               "  --model FILE       model manifest (default: the shipped model)\n"
               "  --threads N        worker threads (default: all cores)\n"
               "  --precision P      run the network in fp32, bf16 or int8 (default:\n"
               "                     $TSC_PRECISION, else the manifest's \"precision\"); the\n"
               "                     JSON's inference_precision is what really ran\n"
               "  --no-tta           no horizontal-flip test-time augmentation\n"
               "  --limit N          at most N images per dataset (quick checks)\n"
               "  --json FILE        write the metrics as JSON (`-` for stdout)\n"
               "  --plots DIR        write roc.png, reliability.png, confusion.png\n"
               "  --per-slice FILE   write one CSV line per image (id, truth, prediction, ...)\n"
               "  --force            overwrite existing output files\n"
               "\n"
               "Metrics: docs/EVALUATION.md.  Exit status: 0 done, 2 usage, 3 unreadable.\n");
}

typedef struct item {
    const tsc_dataset *ds;
    size_t row;
    int dataset_index;
    int truth;          /* class index; -1 unknown */
    int has_mask;
    /* outputs */
    int ok;
    int pred;
    tsc_verdict verdict;
    double conf, p_tumor;
    double probs[MAXC];
    double dice, iou;   /* NaN when not a tumour slice with a mask */
    size_t mask_px;     /* pixels of the predicted mask (native resolution) */
    double ms;
    char error[TSC_ERROR_MESSAGE_MAX];
} item;

typedef struct eval_ctx {
    const tsc_plugin_api *api;
    tsc_model *model;
    tsc_analysis_options ao;
    item *items;
    size_t n;
    atomic_size_t next;
    atomic_size_t done;
    int n_classes;
    int no_tumor;
} eval_ctx;

static void analyse_item(eval_ctx *c, item *it)
{
    tsc_error err;
    char *img_path = tsc_dataset_dup_image_path(it->ds, it->row);
    tsc_gray_image *img = NULL;
    tsc_status st = tsc_png_read(img_path, &img, &err);
    free(img_path);
    if (st != TSC_OK) {
        snprintf(it->error, sizeof it->error, "%s", err.message);
        return;
    }
    size_t px = (size_t)img->width * (size_t)img->height;
    float *f = malloc(px * sizeof *f);
    if (!f) {
        tsc_gray_image_free(img);
        snprintf(it->error, sizeof it->error, "out of memory");
        return;
    }
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++)
            f[(size_t)y * img->width + x] = (float)tsc_gray_image_get(img, x, y);
    /* Dataset PNGs carry no spacing: 1 mm pixels (areas are in pixels). */
    tsc_slice s = {f, img->height, img->width, {1.0, 1.0}};
    tsc_result *r = NULL;
    st = c->api->analyze_slice(c->model, &s, &c->ao, &r, &err);
    free(f);
    if (st != TSC_OK) {
        tsc_gray_image_free(img);
        snprintf(it->error, sizeof it->error, "%s", err.message);
        return;
    }
    it->ok = 1;
    it->verdict = c->api->result_get_verdict(r);
    size_t nc = c->api->result_n_classes(r);
    if (nc) {
        /* Class metrics read the 4-class prediction (the most probable class)
         * and its probability, whatever the verdict rule then says. */
        for (size_t k = 0; k < nc && k < MAXC; k++) it->probs[k] = c->api->result_get_probability(r, k);
        it->pred = 0;
        for (size_t k = 1; k < nc && k < MAXC; k++)
            if (it->probs[k] > it->probs[it->pred]) it->pred = (int)k;
        it->conf = it->probs[it->pred];
        it->p_tumor = 1.0 - it->probs[c->no_tumor];
    } else {
        it->pred = it->verdict == TSC_VERDICT_TUMOR ? -2 : c->no_tumor; /* -2: "some tumour" */
        it->conf = NAN;
        it->p_tumor = it->verdict == TSC_VERDICT_TUMOR ? 1.0 : 0.0;
    }
    it->ms = c->api->result_get_timings(r)->total_ms;
    {
        int rows, cols;
        const uint8_t *pm = c->api->result_get_mask(r, &rows, &cols);
        it->mask_px = 0;
        for (size_t i = 0; pm && i < (size_t)rows * (size_t)cols; i++) it->mask_px += pm[i] != 0;
    }
    it->dice = it->iou = NAN;
    if (it->truth >= 0 && it->truth != c->no_tumor && it->has_mask) {
        char *mpath = tsc_dataset_dup_mask_path(it->ds, it->row);
        tsc_gray_image *mask = NULL;
        if (tsc_png_read(mpath, &mask, &err) == TSC_OK && mask->width == img->width &&
            mask->height == img->height) {
            int rows, cols;
            const uint8_t *pm = c->api->result_get_mask(r, &rows, &cols);
            size_t inter = 0, a = 0, b = 0;
            for (int y = 0; y < rows; y++)
                for (int x = 0; x < cols; x++) {
                    int t = tsc_gray_image_get(mask, x, y) > 127;
                    int p = pm[(size_t)y * cols + x] != 0;
                    inter += (size_t)(t && p);
                    a += (size_t)t;
                    b += (size_t)p;
                }
            if (a) {
                it->dice = 2.0 * (double)inter / (double)(a + b);
                it->iou = (double)inter / (double)(a + b - inter);
            }
        }
        tsc_gray_image_free(mask);
        free(mpath);
    }
    tsc_gray_image_free(img);
    c->api->result_free(r);
}

static void *eval_worker(void *arg)
{
    eval_ctx *c = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&c->next, 1);
        if (i >= c->n) break;
        analyse_item(c, &c->items[i]);
        size_t d = atomic_fetch_add(&c->done, 1) + 1;
        if (isatty(2) && (d % 25 == 0 || d == c->n))
            fprintf(stderr, "\rtumorscope eval: %zu/%zu images", d, c->n);
    }
    return NULL;
}

/* ROC AUC by the rank statistic (ties count half). */
static double auc(const double *score, const int *pos, size_t n, double *fpr, double *tpr,
                  size_t *n_points)
{
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx) return NAN;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    /* Sort by descending score (insertion into a simple merge sort). */
    for (size_t w = 1; w < n; w *= 2) {
        size_t *tmp = malloc(n * sizeof *tmp);
        if (!tmp) break;
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t a = lo, b = mid, k = lo;
            while (a < mid && b < hi) tmp[k++] = score[idx[a]] >= score[idx[b]] ? idx[a++] : idx[b++];
            while (a < mid) tmp[k++] = idx[a++];
            while (b < hi) tmp[k++] = idx[b++];
        }
        memcpy(idx, tmp, n * sizeof *idx);
        free(tmp);
    }
    double P = 0, N = 0;
    for (size_t i = 0; i < n; i++) {
        if (pos[i]) P += 1;
        else N += 1;
    }
    if (P == 0 || N == 0) {
        free(idx);
        return NAN;
    }
    double tp = 0, fp = 0, area = 0, prev_tpr = 0, prev_fpr = 0;
    size_t np = 0;
    if (fpr) {
        fpr[np] = 0;
        tpr[np++] = 0;
    }
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && score[idx[j]] == score[idx[i]]) {
            if (pos[idx[j]]) tp++;
            else fp++;
            j++;
        }
        double t = tp / P, f = fp / N;
        area += (f - prev_fpr) * (t + prev_tpr) / 2;
        prev_tpr = t;
        prev_fpr = f;
        if (fpr) {
            fpr[np] = f;
            tpr[np++] = t;
        }
        i = j;
    }
    if (n_points) *n_points = np;
    free(idx);
    return area;
}

/* ---- plots (cairo) ---- */

static void plot_frame(cairo_t *cr, const char *title, const char *xl, const char *yl)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 16);
    cairo_move_to(cr, 60, 28);
    cairo_show_text(cr, title);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 13);
    cairo_move_to(cr, 220, 490);
    cairo_show_text(cr, xl);
    cairo_save(cr);
    cairo_move_to(cr, 20, 300);
    cairo_rotate(cr, -M_PI / 2);
    cairo_show_text(cr, yl);
    cairo_restore(cr);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, 60, 50, 400, 400);
    cairo_stroke(cr);
    for (int i = 0; i <= 4; i++) {
        char t[16];
        snprintf(t, sizeof t, "%.2f", i / 4.0);
        cairo_move_to(cr, 60 + i * 100 - 12, 468);
        cairo_show_text(cr, t);
        cairo_move_to(cr, 22, 450 - i * 100 + 4);
        cairo_show_text(cr, t);
    }
}

static int save_plot(cairo_surface_t *s, const char *dir, const char *name, int force)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!force && access(path, F_OK) == 0) {
        fprintf(stderr, "tumorscope eval: %s exists; pass --force to replace it\n", path);
        return -1;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (cairo_surface_write_to_png(s, tmp) != CAIRO_STATUS_SUCCESS || rename(tmp, path) != 0) {
        fprintf(stderr, "tumorscope eval: cannot write %s\n", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void write_plots(const char *dir, int force, const double *fpr, const double *tpr,
                        size_t np, double auc_v, const double *bin_conf, const double *bin_acc,
                        const size_t *bin_n, int nc, size_t conf[MAXC][MAXC], const char **names)
{
    if (tsc_cli_mkdir_p(dir) != 0) {
        fprintf(stderr, "tumorscope eval: cannot create %s\n", dir);
        return;
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 500, 500);
    cairo_t *cr = cairo_create(s);
    char title[128];
    snprintf(title, sizeof title, "ROC: tumour vs no tumour (AUC %.4f)", auc_v);
    plot_frame(cr, title, "false-positive rate", "true-positive rate");
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_move_to(cr, 60, 450);
    cairo_line_to(cr, 460, 50);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.0, 0.45, 0.70);
    cairo_set_line_width(cr, 2);
    for (size_t i = 0; i < np; i++) {
        double x = 60 + 400 * fpr[i], y = 450 - 400 * tpr[i];
        if (i == 0) cairo_move_to(cr, x, y);
        else cairo_line_to(cr, x, y);
    }
    cairo_stroke(cr);
    save_plot(s, dir, "roc.png", force);

    plot_frame(cr, "Reliability diagram (15 bins)", "confidence", "accuracy");
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, 60, 450);
    cairo_line_to(cr, 460, 50);
    cairo_stroke(cr);
    for (int b = 0; b < ECE_BINS; b++) {
        if (!bin_n[b]) continue;
        double x0 = 60 + 400.0 * b / ECE_BINS, w = 400.0 / ECE_BINS;
        cairo_set_source_rgba(cr, 0.0, 0.45, 0.70, 0.8);
        cairo_rectangle(cr, x0 + 1, 450 - 400 * bin_acc[b], w - 2, 400 * bin_acc[b]);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, 0.84, 0.37, 0.0);
        cairo_arc(cr, 60 + 400 * bin_conf[b], 450 - 400 * bin_acc[b], 3, 0, 2 * M_PI);
        cairo_fill(cr);
    }
    save_plot(s, dir, "reliability.png", force);

    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 16);
    cairo_move_to(cr, 60, 28);
    cairo_show_text(cr, "Confusion matrix (rows: truth, columns: prediction)");
    double cell = 360.0 / (nc ? nc : 1);
    cairo_set_font_size(cr, 12);
    for (int t = 0; t < nc; t++) {
        size_t row_total = 0;
        for (int p = 0; p < nc; p++) row_total += conf[t][p];
        for (int p = 0; p < nc; p++) {
            double frac = row_total ? (double)conf[t][p] / (double)row_total : 0;
            cairo_set_source_rgb(cr, 1 - 0.8 * frac, 1 - 0.55 * frac, 1 - 0.3 * frac);
            cairo_rectangle(cr, 120 + p * cell, 80 + t * cell, cell - 2, cell - 2);
            cairo_fill(cr);
            cairo_set_source_rgb(cr, frac > 0.5 ? 1 : 0, frac > 0.5 ? 1 : 0, frac > 0.5 ? 1 : 0);
            char txt[32];
            snprintf(txt, sizeof txt, "%zu", conf[t][p]);
            cairo_move_to(cr, 120 + p * cell + cell / 2 - 10, 80 + t * cell + cell / 2 + 4);
            cairo_show_text(cr, txt);
        }
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, 10, 80 + t * cell + cell / 2 + 4);
        cairo_show_text(cr, names[t]);
        cairo_save(cr);
        cairo_move_to(cr, 120 + t * cell + cell / 2 - 20, 470);
        cairo_show_text(cr, names[t]);
        cairo_restore(cr);
    }
    save_plot(s, dir, "confusion.png", force);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

typedef struct eval_args {
    const char *datasets[32];
    size_t n_datasets;
    const char *normal_dicom[16];
    size_t n_normal;
    const char *split, *plots, *per_slice;
    tsc_cli_analysis_args c; /* --method, --model, --threads, --no-tta, --json, --force */
    long limit;
} eval_args;

enum { OPT_DATASET = 256, OPT_SPLIT, OPT_NORMAL_DICOM, OPT_LIMIT, OPT_PLOTS, OPT_PER_SLICE };

static const struct option eval_options[] = {
    {"help", no_argument, NULL, 'h'},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"split", required_argument, NULL, OPT_SPLIT},
    {"normal-dicom", required_argument, NULL, OPT_NORMAL_DICOM},
    TSC_CLI_MODEL_OPTIONS,
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"plots", required_argument, NULL, OPT_PLOTS},
    {"per-slice", required_argument, NULL, OPT_PER_SLICE},
    TSC_CLI_JSON_FORCE_OPTIONS,
    TSC_CLI_PRECISION_OPTION,
    {NULL, 0, NULL, 0}};

/* Appends a repeatable option's value to list[] (room for max). */
static int add_path(const char **list, size_t *n, size_t max, const char *v, const char *opt)
{
    if (*n == max) {
        fprintf(stderr, "tumorscope eval: at most %zu %s\n", max, opt);
        return TSC_EXIT_USAGE;
    }
    list[(*n)++] = v;
    return 0;
}

static int eval_option(int code, const char *v, void *user)
{
    eval_args *a = user;
    switch (code) {
    case 'h': eval_usage(stdout); return TSC_CLI_DONE;
    case OPT_DATASET: return add_path(a->datasets, &a->n_datasets, 32, v, "--dataset");
    case OPT_SPLIT: a->split = v; break;
    case OPT_NORMAL_DICOM: return add_path(a->normal_dicom, &a->n_normal, 16, v, "--normal-dicom");
    case TSC_CLI_OPT_METHOD:
        /* eval's own, shorter wording of the error. */
        a->c.method = tsc_cli_method_from_string(v);
        if (a->c.method < 0) {
            fprintf(stderr, "tumorscope eval: unknown method '%s'\n", v);
            return TSC_EXIT_USAGE;
        }
        break;
    case OPT_LIMIT: a->limit = atol(v); break;
    case OPT_PLOTS: a->plots = v; break;
    case OPT_PER_SLICE: a->per_slice = v; break;
    default: return tsc_cli_analysis_option("eval", code, v, &a->c);
    }
    return 0;
}

/* TSC_CLI_DONE after --help, 0 to go on, else an exit status. */
static int eval_parse_args(int argc, char **argv, eval_args *a)
{
    memset(a, 0, sizeof *a);
    a->split = "test";
    tsc_cli_analysis_args_init(&a->c);
    a->limit = -1;
    const char **operands = calloc((size_t)argc, sizeof *operands);
    size_t n_operands = 0;
    if (!operands) return TSC_EXIT_FAILURE;
    int rc = tsc_cli_parse_options("eval", argc, argv, eval_options, eval_option, a, operands,
                                   &n_operands);
    if (rc == 0 && n_operands) {
        fprintf(stderr,
                "tumorscope eval: unexpected argument '%s' (datasets are given with "
                "--dataset)\n",
                operands[0]);
        rc = TSC_EXIT_USAGE;
    }
    free(operands);
    if (rc == 0 && !a->n_datasets && !a->n_normal) {
        eval_usage(stderr);
        rc = TSC_EXIT_USAGE;
    }
    return rc;
}

/* The model (CNN) and the class names the truth labels are matched against. */
static int eval_load_model(eval_ctx *c, const eval_args *a, const char **names)
{
    const tsc_plugin_api *api = c->api;
    names[0] = "no_tumor";
    names[1] = "tumor";
    c->n_classes = 2;
    c->no_tumor = 0;
    if (a->c.method != TSC_METHOD_CNN) return TSC_EXIT_OK;
    tsc_error err;
    tsc_model_params mp = api->model_default_params();
    mp.threads = 1;
    if (api->model_load(a->c.model_path, &mp, &c->model, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope eval: cannot load the model: %s\n", err.message);
        return TSC_EXIT_FAILURE;
    }
    c->n_classes = (int)api->model_n_classes(c->model);
    for (int k = 0; k < c->n_classes && k < MAXC; k++) {
        names[k] = api->model_get_class_name(c->model, (size_t)k);
        if (!strcmp(names[k], "no_tumor")) c->no_tumor = k;
    }
    return TSC_EXIT_OK;
}

/* Loads every dataset into ds[] and collects the items of the split. */
static int collect_items(eval_ctx *c, const eval_args *a, tsc_dataset **ds, const char **names)
{
    tsc_error err;
    size_t cap = 0;
    for (size_t d = 0; d < a->n_datasets; d++) {
        if (tsc_dataset_load(a->datasets[d], &ds[d], &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
            return TSC_EXIT_UNREADABLE;
        }
        cap += tsc_dataset_n_rows(ds[d]);
    }
    c->items = calloc(cap ? cap : 1, sizeof *c->items);
    if (!c->items) return TSC_EXIT_FAILURE;
    for (size_t d = 0; d < a->n_datasets; d++) {
        int mask_col = tsc_dataset_find_column(ds[d], "has_mask");
        char *probe = tsc_dataset_n_rows(ds[d]) ? tsc_dataset_dup_mask_path(ds[d], 0) : NULL;
        int masks_exist = probe && access(probe, R_OK) == 0;
        free(probe);
        long taken = 0;
        for (size_t r = 0; r < tsc_dataset_n_rows(ds[d]); r++) {
            const tsc_dataset_row *row = tsc_dataset_get_row(ds[d], r);
            if (strcmp(row->split, a->split) != 0) continue;
            if (a->limit >= 0 && taken >= a->limit) break;
            item *it = &c->items[c->n++];
            taken++;
            it->ds = ds[d];
            it->row = r;
            it->dataset_index = (int)d;
            it->truth = -1;
            if (a->c.method == TSC_METHOD_CNN) {
                for (int k = 0; k < c->n_classes; k++)
                    if (!strcmp(names[k], row->label_name)) it->truth = k;
            } else {
                it->truth = strcmp(row->label_name, "no_tumor") ? 1 : 0;
            }
            it->has_mask =
                masks_exist &&
                (mask_col < 0 || strcmp(tsc_dataset_get_value(ds[d], r, (size_t)mask_col), "0"));
        }
    }
    return TSC_EXIT_OK;
}

/* Analyses every item on `threads` workers (this thread one of them). */
static void run_items(eval_ctx *c, int threads)
{
    atomic_init(&c->next, 0);
    atomic_init(&c->done, 0);
    pthread_t tid[16];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[started], NULL, eval_worker, c) == 0) started++;
    eval_worker(c);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    if (c->n && isatty(2)) fputc('\n', stderr);
}

typedef struct metrics {
    size_t conf[MAXC][MAXC];
    size_t n_ok, n_failed, correct, n_incon, n_not_assessable[2];
    double ms_sum, dice_sum, iou_sum;
    size_t n_dice;
    size_t tp, fn, tn, fpv, tp_strict, fp_strict;
    double bin_conf[ECE_BINS], bin_acc[ECE_BINS];
    size_t bin_n[ECE_BINS], n_cal;
    double ece;
    double *fpr, *tpr, auc;
    size_t np;
    double dice_patient;
} metrics;

/* Dice per patient: the mean over each patient's tumour slices, then over patients. */
static double dice_per_patient(const eval_ctx *c)
{
    double sum = 0;
    size_t np_ = 0;
    char *seen = calloc(c->n ? c->n : 1, 1);
    for (size_t i = 0; seen && i < c->n; i++) {
        if (seen[i] || isnan(c->items[i].dice)) continue;
        const char *pid = tsc_dataset_get_row(c->items[i].ds, c->items[i].row)->patient_id;
        double s = 0;
        size_t m = 0;
        for (size_t j = i; j < c->n; j++) {
            if (seen[j] || isnan(c->items[j].dice) || c->items[j].ds != c->items[i].ds) continue;
            if (strcmp(tsc_dataset_get_row(c->items[j].ds, c->items[j].row)->patient_id, pid))
                continue;
            seen[j] = 1;
            s += c->items[j].dice;
            m++;
        }
        sum += s / (double)m;
        np_++;
    }
    free(seen);
    return np_ ? sum / (double)np_ : NAN;
}

/* Counts, rates, calibration and the ROC of the analysed items. */
static void compute_metrics(const eval_ctx *c, metrics *m)
{
    memset(m, 0, sizeof *m);
    double *score = malloc((c->n ? c->n : 1) * sizeof *score);
    int *pos = malloc((c->n ? c->n : 1) * sizeof *pos);
    size_t n_roc = 0;
    for (size_t i = 0; i < c->n; i++) {
        const item *it = &c->items[i];
        if (!it->ok) {
            m->n_failed++;
            fprintf(stderr, "tumorscope eval: %s: %s\n",
                    tsc_dataset_get_row(it->ds, it->row)->id, it->error);
            continue;
        }
        if (it->truth < 0) continue;
        m->n_ok++;
        m->ms_sum += it->ms;
        int pred = it->pred == -2 ? 1 : it->pred;
        if (pred >= 0 && pred < MAXC && it->truth < MAXC) m->conf[it->truth][pred]++;
        if (pred == it->truth) m->correct++;
        if (it->verdict == TSC_VERDICT_INCONCLUSIVE) m->n_incon++;
        if (it->verdict == TSC_VERDICT_NOT_ASSESSABLE)
            m->n_not_assessable[it->truth != c->no_tumor]++;
        int truth_pos = it->truth != c->no_tumor;
        /* Flagged: a tumour or a doubt the radiologist must look at.  A
         * tumour slice called "not assessable" is a miss. */
        int flagged = it->verdict == TSC_VERDICT_TUMOR || it->verdict == TSC_VERDICT_INCONCLUSIVE;
        if (truth_pos) {
            if (flagged) m->tp++;
            else m->fn++;
            if (it->verdict == TSC_VERDICT_TUMOR) m->tp_strict++;
        } else {
            if (flagged) m->fpv++;
            else m->tn++;
            if (it->verdict == TSC_VERDICT_TUMOR) m->fp_strict++;
        }
        score[n_roc] = it->p_tumor;
        pos[n_roc++] = truth_pos;
        if (!isnan(it->dice)) {
            m->dice_sum += it->dice;
            m->iou_sum += it->iou;
            m->n_dice++;
        }
        if (isfinite(it->conf)) {
            int b = (int)(it->conf * ECE_BINS);
            if (b >= ECE_BINS) b = ECE_BINS - 1;
            if (b < 0) b = 0;
            m->bin_n[b]++;
            m->bin_conf[b] += it->conf;
            m->bin_acc[b] += pred == it->truth;
        }
    }
    for (int b = 0; b < ECE_BINS; b++) m->n_cal += m->bin_n[b];
    for (int b = 0; b < ECE_BINS; b++) {
        if (!m->bin_n[b]) continue;
        m->bin_conf[b] /= (double)m->bin_n[b];
        m->bin_acc[b] /= (double)m->bin_n[b];
        m->ece += (double)m->bin_n[b] / (double)m->n_cal * fabs(m->bin_acc[b] - m->bin_conf[b]);
    }
    m->fpr = malloc((n_roc + 2) * sizeof *m->fpr);
    m->tpr = malloc((n_roc + 2) * sizeof *m->tpr);
    m->auc = auc(score, pos, n_roc, m->fpr, m->tpr, &m->np);
    m->dice_patient = dice_per_patient(c);
    free(score);
    free(pos);
}

#define R4(v) tsc_result_json_round((v), 4)

static cJSON *metrics_json(const eval_ctx *c, const eval_args *a, const metrics *m,
                           const char **names)
{
    const tsc_plugin_api *api = c->api;
    size_t n_ok = m->n_ok, tp = m->tp, fn = m->fn, tn = m->tn, fpv = m->fpv;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "split", a->split);
    cJSON_AddStringToObject(root, "method", api->method_to_string((tsc_method)a->c.method));
    if (c->model) {
        cJSON_AddStringToObject(root, "model", api->model_get_name(c->model));
        cJSON_AddStringToObject(root, "model_sha256", api->model_get_sha256(c->model));
        /* "precision" per class is the positive predictive value; this is
         * the arithmetic the network ran in. */
        /* After any fallback (no AVX512_BF16 / VNNI, no int8 ranges). */
        cJSON_AddStringToObject(root, "inference_precision",
                                TSC_PLUGIN_HAS(c->api, model_get_precision)
                                    ? c->api->model_get_precision(c->model)
                                    : tsc_cli_get_precision());
    }
    cJSON_AddNumberToObject(root, "n", (double)n_ok);
    cJSON_AddNumberToObject(root, "n_failed", (double)m->n_failed);
    cJSON_AddNumberToObject(root, "accuracy", n_ok ? R4((double)m->correct / n_ok) : 0);
    cJSON *pc = cJSON_AddObjectToObject(root, "per_class");
    double f1_sum = 0;
    int f1_n = 0;
    for (int k = 0; k < c->n_classes; k++) {
        size_t tpk = m->conf[k][k], sup = 0, predk = 0;
        for (int j = 0; j < c->n_classes; j++) {
            sup += m->conf[k][j];
            predk += m->conf[j][k];
        }
        double prec = predk ? (double)tpk / predk : 0, rec = sup ? (double)tpk / sup : 0;
        double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        cJSON *o = cJSON_AddObjectToObject(pc, names[k]);
        cJSON_AddNumberToObject(o, "precision", R4(prec));
        cJSON_AddNumberToObject(o, "recall", R4(rec));
        cJSON_AddNumberToObject(o, "f1", R4(f1));
        cJSON_AddNumberToObject(o, "support", (double)sup);
        if (sup) {
            f1_sum += f1;
            f1_n++;
        }
    }
    cJSON_AddNumberToObject(root, "macro_f1", f1_n ? R4(f1_sum / f1_n) : 0);
    cJSON *cm = cJSON_AddObjectToObject(root, "confusion");
    cJSON *labels = cJSON_AddArrayToObject(cm, "labels");
    cJSON *matrix = cJSON_AddArrayToObject(cm, "matrix");
    for (int k = 0; k < c->n_classes; k++) {
        cJSON_AddItemToArray(labels, cJSON_CreateString(names[k]));
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < c->n_classes; j++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)m->conf[k][j]));
        cJSON_AddItemToArray(matrix, row);
    }
    if (isfinite(m->auc)) cJSON_AddNumberToObject(root, "tumor_auc", R4(m->auc));
    else cJSON_AddNullToObject(root, "tumor_auc");
    cJSON_AddNumberToObject(root, "sensitivity", tp + fn ? R4((double)tp / (tp + fn)) : 0);
    cJSON_AddNumberToObject(root, "specificity", tn + fpv ? R4((double)tn / (tn + fpv)) : 0);
    cJSON_AddNumberToObject(root, "sensitivity_tumor_verdict_only",
                            tp + fn ? R4((double)m->tp_strict / (tp + fn)) : 0);
    cJSON_AddNumberToObject(root, "specificity_tumor_verdict_only",
                            tn + fpv ? R4(1.0 - (double)m->fp_strict / (tn + fpv)) : 0);
    cJSON_AddNumberToObject(root, "inconclusive_rate", n_ok ? R4((double)m->n_incon / n_ok) : 0);
    /* The not-assessable rule on dataset slices: how many tumour slices it
     * takes away (misses) and how many tumour-free ones it sets aside. */
    cJSON_AddNumberToObject(root, "not_assessable_tumor_slices", (double)m->n_not_assessable[1]);
    cJSON_AddNumberToObject(root, "not_assessable_no_tumor_slices", (double)m->n_not_assessable[0]);
    cJSON_AddNumberToObject(root, "dice_mean", m->n_dice ? R4(m->dice_sum / m->n_dice) : 0);
    cJSON_AddNumberToObject(root, "iou_mean", m->n_dice ? R4(m->iou_sum / m->n_dice) : 0);
    if (isfinite(m->dice_patient))
        cJSON_AddNumberToObject(root, "dice_patient_mean", R4(m->dice_patient));
    else cJSON_AddNullToObject(root, "dice_patient_mean");
    cJSON_AddNumberToObject(root, "n_dice", (double)m->n_dice);
    if (m->n_cal) cJSON_AddNumberToObject(root, "ece", R4(m->ece));
    else cJSON_AddNullToObject(root, "ece");
    cJSON_AddNumberToObject(root, "ms_per_slice",
                            n_ok ? tsc_result_json_round(m->ms_sum / n_ok, 2) : 0);
    return root;
}

/* A dataset whose index has a `plane` column (normal-mri): per plane, the
 * share of slices flagged (tumour or inconclusive), called tumour, and set
 * aside as not assessable — a model that learnt "sagittal => tumour" shows
 * here, not in the pooled figures. */
static void add_by_plane(cJSON *o, const eval_ctx *c, int d)
{
    const tsc_dataset *ds = NULL;
    for (size_t i = 0; i < c->n && !ds; i++)
        if (c->items[i].dataset_index == d) ds = c->items[i].ds;
    int col = ds ? tsc_dataset_find_column(ds, "plane") : -1;
    if (col < 0) return;
    cJSON *byp = cJSON_AddObjectToObject(o, "by_plane");
    const char *seen[16];
    size_t n_seen = 0;
    for (size_t i = 0; i < c->n; i++) {
        const item *it = &c->items[i];
        if (it->dataset_index != d || !it->ok || it->truth < 0) continue;
        const char *plane = tsc_dataset_get_value(ds, it->row, (size_t)col);
        int known = 0;
        for (size_t k = 0; k < n_seen && !known; k++) known = strcmp(seen[k], plane) == 0;
        if (known || n_seen == sizeof seen / sizeof *seen) continue;
        seen[n_seen++] = plane;
        size_t n = 0, ok = 0, flagged = 0, tumor = 0, not_assessable = 0;
        for (size_t j = i; j < c->n; j++) {
            const item *jt = &c->items[j];
            if (jt->dataset_index != d || !jt->ok || jt->truth < 0) continue;
            if (strcmp(tsc_dataset_get_value(ds, jt->row, (size_t)col), plane)) continue;
            n++;
            ok += (jt->pred == -2 ? 1 : jt->pred) == jt->truth;
            tumor += jt->verdict == TSC_VERDICT_TUMOR;
            flagged += jt->verdict == TSC_VERDICT_TUMOR || jt->verdict == TSC_VERDICT_INCONCLUSIVE;
            not_assessable += jt->verdict == TSC_VERDICT_NOT_ASSESSABLE;
        }
        cJSON *p = cJSON_AddObjectToObject(byp, *plane ? plane : "unknown");
        cJSON_AddNumberToObject(p, "n", (double)n);
        cJSON_AddNumberToObject(p, "accuracy", R4((double)ok / n));
        cJSON_AddNumberToObject(p, "flagged", R4((double)flagged / n));
        cJSON_AddNumberToObject(p, "tumor_verdicts", R4((double)tumor / n));
        cJSON_AddNumberToObject(p, "not_assessable", R4((double)not_assessable / n));
    }
}

/* Per dataset: accuracy, and the false-positive rate on its tumour-free slices. */
static void add_by_dataset(cJSON *root, const eval_ctx *c, const eval_args *a)
{
    cJSON *byd = cJSON_AddObjectToObject(root, "by_dataset");
    for (size_t d = 0; d < a->n_datasets; d++) {
        size_t n = 0, ok = 0, neg = 0, negflag = 0, posn = 0, posflag = 0;
        for (size_t i = 0; i < c->n; i++) {
            const item *it = &c->items[i];
            if (it->dataset_index != (int)d || !it->ok || it->truth < 0) continue;
            n++;
            int pred = it->pred == -2 ? 1 : it->pred;
            ok += pred == it->truth;
            int flagged =
                it->verdict == TSC_VERDICT_TUMOR || it->verdict == TSC_VERDICT_INCONCLUSIVE;
            if (it->truth == c->no_tumor) {
                neg++;
                negflag += flagged;
            } else {
                posn++;
                posflag += flagged;
            }
        }
        const char *name = strrchr(a->datasets[d], '/');
        name = name && name[1] ? name + 1 : a->datasets[d];
        cJSON *o = cJSON_AddObjectToObject(byd, name);
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "accuracy", n ? R4((double)ok / n) : 0);
        cJSON_AddNumberToObject(o, "n_no_tumor", (double)neg);
        if (neg) cJSON_AddNumberToObject(o, "false_positive_rate", R4((double)negflag / neg));
        cJSON_AddNumberToObject(o, "n_tumor", (double)posn);
        if (posn) cJSON_AddNumberToObject(o, "sensitivity", R4((double)posflag / posn));
        add_by_plane(o, c, (int)d);
    }
}

/* One series of --normal-dicom (every slice known free of tumour) into `o`;
 * adds its counts to tot[] (slices, flagged, tumour verdicts, not
 * assessable, series not analysed, series with no tumour, series analysed). */
static void normal_series(eval_ctx *c, tsc_dicom_index *ix, size_t s, int threads, cJSON *o,
                          size_t tot[7])
{
    const tsc_plugin_api *api = c->api;
    tsc_error err;
    tsc_series_result *sr = NULL;
    tsc_status sst =
        api->analyze_study_series(c->model, ix, s, &c->ao, threads, NULL, NULL, &sr, &err);
    if (sst == TSC_ESCOPE) {
        /* Outside the model's scope: not analysed, so nothing flagged. */
        cJSON_AddStringToObject(o, "verdict", "not_analysed");
        cJSON_AddStringToObject(o, "reason", api->series_result_get_reason(sr));
        tot[4]++;
        api->series_result_free(sr);
        return;
    }
    if (sst != TSC_OK) {
        fprintf(stderr, "tumorscope eval: normal series %zu: %s\n", s, err.message);
        cJSON_AddStringToObject(o, "error", err.message);
        api->series_result_free(sr);
        return;
    }
    size_t n = 0, f = 0, t = 0, na = 0;
    for (size_t k = 0; k < api->series_result_n_slices(sr); k++) {
        const tsc_result *r = api->series_result_get_slice(sr, k);
        if (!r) continue;
        tsc_verdict v = api->result_get_verdict(r);
        if (v == TSC_VERDICT_NOT_ASSESSABLE) {
            na++;
            continue;
        }
        n++;
        f += v == TSC_VERDICT_TUMOR || v == TSC_VERDICT_INCONCLUSIVE;
        t += v == TSC_VERDICT_TUMOR;
    }
    tsc_description d;
    api->series_result_describe(c->model, sr, &d);
    cJSON_AddStringToObject(o, "verdict", api->verdict_to_string(d.verdict));
    cJSON_AddStringToObject(o, "finding", d.finding);
    cJSON_AddNumberToObject(o, "assessable_slices", (double)n);
    cJSON_AddNumberToObject(o, "not_assessable", (double)na);
    cJSON_AddNumberToObject(o, "flagged", (double)f);
    cJSON_AddNumberToObject(o, "tumor_verdicts", (double)t);
    tot[0] += n, tot[1] += f, tot[2] += t, tot[3] += na;
    tot[5] += d.verdict == TSC_VERDICT_NO_TUMOR;
    tot[6]++;
    api->series_result_free(sr);
}

/* "normal_dicom": the false-positive rate on series free of tumour. */
static int add_normal_dicom(cJSON *root, eval_ctx *c, const eval_args *a, int threads)
{
    const tsc_plugin_api *api = c->api;
    tsc_error err;
    tsc_dicom_index *ix = NULL;
    tsc_dicom_open_params op = api->study_default_params();
    if (api->study_open(a->normal_dicom, a->n_normal, &op, &ix, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope eval: %s\n", err.message);
        return TSC_EXIT_UNREADABLE;
    }
    cJSON *nd = cJSON_AddObjectToObject(root, "normal_dicom");
    size_t tot[7] = {0};
    cJSON *ser = cJSON_AddArrayToObject(nd, "series");
    for (size_t s = 0; s < api->study_n_series(ix); s++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "description", api->study_get_series(ix, s)->description);
        cJSON_AddItemToArray(ser, o);
        normal_series(c, ix, s, threads, o, tot);
    }
    /* Rates over the assessable slices of the analysed series. */
    size_t total = tot[0];
    cJSON_AddNumberToObject(nd, "slices", (double)total);
    cJSON_AddNumberToObject(nd, "not_assessable_slices", (double)tot[3]);
    cJSON_AddNumberToObject(nd, "series_not_analysed", (double)tot[4]);
    cJSON_AddNumberToObject(nd, "series_no_tumour_detected", (double)tot[5]);
    cJSON_AddNumberToObject(nd, "series_analysed", (double)tot[6]);
    cJSON_AddNumberToObject(nd, "false_positive_rate", total ? R4((double)tot[1] / total) : 0);
    cJSON_AddNumberToObject(nd, "tumor_verdict_rate", total ? R4((double)tot[2] / total) : 0);
    api->study_free(ix);
    return TSC_EXIT_OK;
}

/* --per-slice: one CSV line per analysed image. */
static void write_per_slice(const eval_ctx *c, const eval_args *a, const char **names)
{
    /* Ids and patient ids have no length limit: rows go through a stream,
     * never a fixed-size buffer. */
    tsc_error err;
    char *csv = NULL;
    size_t csv_len = 0;
    FILE *out = open_memstream(&csv, &csv_len);
    if (out) {
        fputs("dataset,id,patient_id,truth,prediction,verdict,confidence,p_tumor,dice,mask_px,ms\n",
              out);
        for (size_t i = 0; i < c->n; i++) {
            const item *it = &c->items[i];
            const tsc_dataset_row *row = tsc_dataset_get_row(it->ds, it->row);
            if (!it->ok || it->truth < 0) continue;
            int pred = it->pred == -2 ? 1 : it->pred;
            fprintf(out, "%d,%s,%s,%s,%s,%s,%.4f,%.4f,%.4f,%zu,%.1f\n", it->dataset_index, row->id,
                    row->patient_id, names[it->truth], names[pred],
                    c->api->verdict_to_string(it->verdict), it->conf, it->p_tumor, it->dice,
                    it->mask_px, it->ms);
        }
    }
    int bad = !out;
    if (out) {
        bad = ferror(out);
        bad |= fclose(out) != 0;
    }
    if (bad) {
        fprintf(stderr, "tumorscope eval: %s: out of memory for the per-slice table\n",
                a->per_slice);
    } else if (tsc_cli_write_file_atomic(a->per_slice, csv, csv_len, a->c.force, &err) != TSC_OK) {
        fprintf(stderr, "tumorscope eval: %s\n", err.message);
    }
    free(csv);
}

int tsc_cli_eval(int argc, char **argv)
{
    eval_args a;
    int rc = eval_parse_args(argc, argv, &a);
    if (rc != 0) return rc == TSC_CLI_DONE ? TSC_EXIT_OK : rc;
    const tsc_plugin_api *api = tsc_cli_plugin();
    if (!api) return TSC_EXIT_FAILURE;
    eval_ctx c;
    memset(&c, 0, sizeof c);
    c.api = api;
    c.ao = api->analysis_default_options();
    c.ao.method = (tsc_method)a.c.method;
    c.ao.flip_tta = a.c.tta;
    const char *names[MAXC] = {0};
    tsc_dataset *ds[32] = {0};
    metrics m;
    memset(&m, 0, sizeof m);
    cJSON *root = NULL;
    if ((rc = eval_load_model(&c, &a, names)) != TSC_EXIT_OK) goto out;
    if ((rc = collect_items(&c, &a, ds, names)) != TSC_EXIT_OK) goto out;
    if (!c.n && !a.n_normal) {
        fprintf(stderr, "tumorscope eval: no images in split '%s'\n", a.split);
        rc = TSC_EXIT_UNREADABLE;
        goto out;
    }
    int threads = a.c.threads;
    if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    run_items(&c, threads);

    compute_metrics(&c, &m);
    root = metrics_json(&c, &a, &m, names);
    add_by_dataset(root, &c, &a);
    if (a.n_normal) rc = add_normal_dicom(root, &c, &a, threads);

    char *text = cJSON_Print(root);
    if (a.c.json_path) {
        tsc_error err;
        if (tsc_cli_write_file_atomic(a.c.json_path, text, strlen(text), a.c.force, &err) !=
            TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
            rc = TSC_EXIT_FAILURE;
        }
    }
    if (!a.c.json_path || strcmp(a.c.json_path, "-") != 0) puts(text);
    free(text);
    if (a.plots && m.n_ok)
        write_plots(a.plots, a.c.force, m.fpr, m.tpr, m.np, m.auc, m.bin_conf, m.bin_acc, m.bin_n,
                    c.n_classes, m.conf, names);
    if (a.per_slice) write_per_slice(&c, &a, names);
    if (m.n_failed && rc == TSC_EXIT_OK) rc = TSC_EXIT_PARTIAL;
out:
    cJSON_Delete(root);
    free(m.fpr);
    free(m.tpr);
    free(c.items);
    for (size_t d = 0; d < a.n_datasets; d++) tsc_dataset_free(ds[d]);
    api->model_free(c.model);
    return rc;
}
