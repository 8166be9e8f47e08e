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
#include "cli_util.h"
#include "result_json.h"
#include "tsc_io.h"
#include "tsc_plugin.h"

#define MAXC 16
#define ECE_BINS 15

static void eval_usage(FILE *f)
{
    fprintf(f,
            "usage: tumorscope eval --dataset DIR [--dataset DIR ...] [options]\n"
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

int tsc_cli_eval(int argc, char **argv)
{
    const char *datasets[32];
    size_t n_datasets = 0;
    const char *split = "test", *model_path = NULL, *json_path = NULL, *plots = NULL;
    const char *per_slice = NULL;
    const char *normal_dicom[16];
    size_t n_normal = 0;
    int method = TSC_METHOD_CNN, threads = 0, tta = 1, force = 0;
    long limit = -1;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int hv = i + 1 < argc;
        if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
            eval_usage(stdout);
            return TSC_EXIT_OK;
        } else if (!strcmp(o, "--dataset") && hv && n_datasets < 32) datasets[n_datasets++] = argv[++i];
        else if (!strcmp(o, "--split") && hv) split = argv[++i];
        else if (!strcmp(o, "--normal-dicom") && hv && n_normal < 16) normal_dicom[n_normal++] = argv[++i];
        else if (!strcmp(o, "--model") && hv) model_path = argv[++i];
        else if (!strcmp(o, "--json") && hv) json_path = argv[++i];
        else if (!strcmp(o, "--plots") && hv) plots = argv[++i];
        else if (!strcmp(o, "--per-slice") && hv) per_slice = argv[++i];
        else if (!strcmp(o, "--threads") && hv) threads = atoi(argv[++i]);
        else if (!strcmp(o, "--limit") && hv) limit = atol(argv[++i]);
        else if (!strcmp(o, "--no-tta")) tta = 0;
        else if (!strcmp(o, "--force")) force = 1;
        else if (!strcmp(o, "--method") && hv) {
            method = tsc_cli_method_from_string(argv[++i]);
            if (method < 0) {
                fprintf(stderr, "tumorscope eval: unknown method '%s'\n", argv[i]);
                return TSC_EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "tumorscope eval: unknown or incomplete option '%s'\n", o);
            eval_usage(stderr);
            return TSC_EXIT_USAGE;
        }
    }
    if (!n_datasets && !n_normal) {
        eval_usage(stderr);
        return TSC_EXIT_USAGE;
    }
    const tsc_plugin_api *api = tsc_cli_plugin();
    if (!api) return TSC_EXIT_FAILURE;
    tsc_error err;
    eval_ctx c;
    memset(&c, 0, sizeof c);
    c.api = api;
    c.ao = api->analysis_default_options();
    c.ao.method = (tsc_method)method;
    c.ao.flip_tta = tta;
    const char *names[MAXC] = {"no_tumor", "tumor"};
    c.n_classes = 2;
    c.no_tumor = 0;
    if (method == TSC_METHOD_CNN) {
        tsc_model_params mp = api->model_default_params();
        mp.threads = 1;
        if (api->model_load(model_path, &mp, &c.model, &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: cannot load the model: %s\n", err.message);
            return TSC_EXIT_FAILURE;
        }
        c.n_classes = (int)api->model_n_classes(c.model);
        for (int k = 0; k < c.n_classes && k < MAXC; k++) {
            names[k] = api->model_get_class_name(c.model, (size_t)k);
            if (!strcmp(names[k], "no_tumor")) c.no_tumor = k;
        }
    }

    /* Collect the items of the split. */
    tsc_dataset *ds[32] = {0};
    size_t cap = 0;
    for (size_t d = 0; d < n_datasets; d++) {
        if (tsc_dataset_load(datasets[d], &ds[d], &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
            for (size_t e = 0; e < d; e++) tsc_dataset_free(ds[e]);
            api->model_free(c.model);
            return TSC_EXIT_UNREADABLE;
        }
        cap += tsc_dataset_n_rows(ds[d]);
    }
    c.items = calloc(cap ? cap : 1, sizeof *c.items);
    int mask_col[32];
    for (size_t d = 0; d < n_datasets; d++) {
        mask_col[d] = tsc_dataset_find_column(ds[d], "has_mask");
        char *probe = tsc_dataset_n_rows(ds[d]) ? tsc_dataset_dup_mask_path(ds[d], 0) : NULL;
        int masks_exist = probe && access(probe, R_OK) == 0;
        free(probe);
        long taken = 0;
        for (size_t r = 0; r < tsc_dataset_n_rows(ds[d]); r++) {
            const tsc_dataset_row *row = tsc_dataset_get_row(ds[d], r);
            if (strcmp(row->split, split) != 0) continue;
            if (limit >= 0 && taken >= limit) break;
            item *it = &c.items[c.n++];
            taken++;
            it->ds = ds[d];
            it->row = r;
            it->dataset_index = (int)d;
            it->truth = -1;
            if (method == TSC_METHOD_CNN) {
                for (int k = 0; k < c.n_classes; k++)
                    if (!strcmp(names[k], row->label_name)) it->truth = k;
            } else {
                it->truth = strcmp(row->label_name, "no_tumor") ? 1 : 0;
            }
            it->has_mask = masks_exist && (mask_col[d] < 0 ||
                                           strcmp(tsc_dataset_get_value(ds[d], r, (size_t)mask_col[d]), "0"));
        }
    }
    if (!c.n && !n_normal) {
        fprintf(stderr, "tumorscope eval: no images in split '%s'\n", split);
        return TSC_EXIT_UNREADABLE;
    }
    if (threads <= 0) threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1) threads = 1;
    if (threads > 16) threads = 16;
    atomic_init(&c.next, 0);
    atomic_init(&c.done, 0);
    pthread_t tid[16];
    int started = 0;
    for (int t = 1; t < threads; t++)
        if (pthread_create(&tid[started], NULL, eval_worker, &c) == 0) started++;
    eval_worker(&c);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    if (c.n && isatty(2)) fputc('\n', stderr);

    /* ---- metrics ---- */
    size_t n_not_assessable[2] = {0, 0};
    size_t conf[MAXC][MAXC];
    memset(conf, 0, sizeof conf);
    size_t n_ok = 0, n_failed = 0, correct = 0, n_incon = 0;
    double ms_sum = 0, dice_sum = 0, iou_sum = 0;
    size_t n_dice = 0;
    size_t tp = 0, fn = 0, tn = 0, fpv = 0, tp_strict = 0, fp_strict = 0;
    double *score = malloc((c.n ? c.n : 1) * sizeof *score);
    int *pos = malloc((c.n ? c.n : 1) * sizeof *pos);
    size_t n_roc = 0;
    double bin_conf[ECE_BINS] = {0}, bin_acc[ECE_BINS] = {0};
    size_t bin_n[ECE_BINS] = {0};
    for (size_t i = 0; i < c.n; i++) {
        item *it = &c.items[i];
        if (!it->ok) {
            n_failed++;
            fprintf(stderr, "tumorscope eval: %s: %s\n",
                    tsc_dataset_get_row(it->ds, it->row)->id, it->error);
            continue;
        }
        if (it->truth < 0) continue;
        n_ok++;
        ms_sum += it->ms;
        int pred = it->pred == -2 ? 1 : it->pred;
        if (pred >= 0 && pred < MAXC && it->truth < MAXC) conf[it->truth][pred]++;
        if (pred == it->truth) correct++;
        if (it->verdict == TSC_VERDICT_INCONCLUSIVE) n_incon++;
        if (it->verdict == TSC_VERDICT_NOT_ASSESSABLE) n_not_assessable[it->truth != c.no_tumor]++;
        int truth_pos = it->truth != c.no_tumor;
        /* Flagged: a tumour or a doubt the radiologist must look at.  A
         * tumour slice called "not assessable" is a miss. */
        int flagged = it->verdict == TSC_VERDICT_TUMOR || it->verdict == TSC_VERDICT_INCONCLUSIVE;
        if (truth_pos) {
            if (flagged) tp++;
            else fn++;
            if (it->verdict == TSC_VERDICT_TUMOR) tp_strict++;
        } else {
            if (flagged) fpv++;
            else tn++;
            if (it->verdict == TSC_VERDICT_TUMOR) fp_strict++;
        }
        score[n_roc] = it->p_tumor;
        pos[n_roc++] = truth_pos;
        if (!isnan(it->dice)) {
            dice_sum += it->dice;
            iou_sum += it->iou;
            n_dice++;
        }
        if (isfinite(it->conf)) {
            int b = (int)(it->conf * ECE_BINS);
            if (b >= ECE_BINS) b = ECE_BINS - 1;
            if (b < 0) b = 0;
            bin_n[b]++;
            bin_conf[b] += it->conf;
            bin_acc[b] += pred == it->truth;
        }
    }
    double ece = 0;
    size_t n_cal = 0;
    for (int b = 0; b < ECE_BINS; b++) n_cal += bin_n[b];
    for (int b = 0; b < ECE_BINS; b++) {
        if (!bin_n[b]) continue;
        bin_conf[b] /= (double)bin_n[b];
        bin_acc[b] /= (double)bin_n[b];
        ece += (double)bin_n[b] / (double)n_cal * fabs(bin_acc[b] - bin_conf[b]);
    }
    double *fpr = malloc((n_roc + 2) * sizeof *fpr), *tpr = malloc((n_roc + 2) * sizeof *tpr);
    size_t np = 0;
    double auc_v = auc(score, pos, n_roc, fpr, tpr, &np);

    /* Dice per patient: the mean over each patient's tumour slices, then over patients. */
    double dice_patient = NAN;
    {
        double sum = 0;
        size_t np_ = 0;
        char *seen = calloc(c.n ? c.n : 1, 1);
        for (size_t i = 0; seen && i < c.n; i++) {
            if (seen[i] || isnan(c.items[i].dice)) continue;
            const char *pid = tsc_dataset_get_row(c.items[i].ds, c.items[i].row)->patient_id;
            double s = 0;
            size_t m = 0;
            for (size_t j = i; j < c.n; j++) {
                if (seen[j] || isnan(c.items[j].dice) || c.items[j].ds != c.items[i].ds) continue;
                if (strcmp(tsc_dataset_get_row(c.items[j].ds, c.items[j].row)->patient_id, pid)) continue;
                seen[j] = 1;
                s += c.items[j].dice;
                m++;
            }
            sum += s / (double)m;
            np_++;
        }
        free(seen);
        if (np_) dice_patient = sum / (double)np_;
    }

    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "split", split);
    cJSON_AddStringToObject(root, "method", api->method_to_string((tsc_method)method));
    if (c.model) {
        cJSON_AddStringToObject(root, "model", api->model_get_name(c.model));
        cJSON_AddStringToObject(root, "model_sha256", api->model_get_sha256(c.model));
    }
    cJSON_AddNumberToObject(root, "n", (double)n_ok);
    cJSON_AddNumberToObject(root, "n_failed", (double)n_failed);
    cJSON_AddNumberToObject(root, "accuracy",
                            n_ok ? tsc_result_json_round((double)correct / n_ok, 4) : 0);
    cJSON *pc = cJSON_AddObjectToObject(root, "per_class");
    double f1_sum = 0;
    int f1_n = 0;
    for (int k = 0; k < c.n_classes; k++) {
        size_t tpk = conf[k][k], sup = 0, predk = 0;
        for (int j = 0; j < c.n_classes; j++) {
            sup += conf[k][j];
            predk += conf[j][k];
        }
        double prec = predk ? (double)tpk / predk : 0, rec = sup ? (double)tpk / sup : 0;
        double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
        cJSON *o = cJSON_AddObjectToObject(pc, names[k]);
        cJSON_AddNumberToObject(o, "precision", tsc_result_json_round(prec, 4));
        cJSON_AddNumberToObject(o, "recall", tsc_result_json_round(rec, 4));
        cJSON_AddNumberToObject(o, "f1", tsc_result_json_round(f1, 4));
        cJSON_AddNumberToObject(o, "support", (double)sup);
        if (sup) {
            f1_sum += f1;
            f1_n++;
        }
    }
    cJSON_AddNumberToObject(root, "macro_f1", f1_n ? tsc_result_json_round(f1_sum / f1_n, 4) : 0);
    cJSON *cm = cJSON_AddObjectToObject(root, "confusion");
    cJSON *labels = cJSON_AddArrayToObject(cm, "labels");
    cJSON *matrix = cJSON_AddArrayToObject(cm, "matrix");
    for (int k = 0; k < c.n_classes; k++) {
        cJSON_AddItemToArray(labels, cJSON_CreateString(names[k]));
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < c.n_classes; j++) cJSON_AddItemToArray(row, cJSON_CreateNumber((double)conf[k][j]));
        cJSON_AddItemToArray(matrix, row);
    }
    if (isfinite(auc_v))
        cJSON_AddNumberToObject(root, "tumor_auc", tsc_result_json_round(auc_v, 4));
    else cJSON_AddNullToObject(root, "tumor_auc");
    cJSON_AddNumberToObject(root, "sensitivity",
                            tp + fn ? tsc_result_json_round((double)tp / (tp + fn), 4) : 0);
    cJSON_AddNumberToObject(root, "specificity",
                            tn + fpv ? tsc_result_json_round((double)tn / (tn + fpv), 4) : 0);
    cJSON_AddNumberToObject(root, "sensitivity_tumor_verdict_only",
                            tp + fn ? tsc_result_json_round((double)tp_strict / (tp + fn), 4) : 0);
    cJSON_AddNumberToObject(
        root, "specificity_tumor_verdict_only",
        tn + fpv ? tsc_result_json_round(1.0 - (double)fp_strict / (tn + fpv), 4) : 0);
    cJSON_AddNumberToObject(root, "inconclusive_rate",
                            n_ok ? tsc_result_json_round((double)n_incon / n_ok, 4) : 0);
    /* The not-assessable rule on dataset slices: how many tumour slices it
     * takes away (misses) and how many tumour-free ones it sets aside. */
    cJSON_AddNumberToObject(root, "not_assessable_tumor_slices", (double)n_not_assessable[1]);
    cJSON_AddNumberToObject(root, "not_assessable_no_tumor_slices", (double)n_not_assessable[0]);
    cJSON_AddNumberToObject(root, "dice_mean",
                            n_dice ? tsc_result_json_round(dice_sum / n_dice, 4) : 0);
    cJSON_AddNumberToObject(root, "iou_mean",
                            n_dice ? tsc_result_json_round(iou_sum / n_dice, 4) : 0);
    if (isfinite(dice_patient))
        cJSON_AddNumberToObject(root, "dice_patient_mean", tsc_result_json_round(dice_patient, 4));
    else cJSON_AddNullToObject(root, "dice_patient_mean");
    cJSON_AddNumberToObject(root, "n_dice", (double)n_dice);
    if (n_cal) cJSON_AddNumberToObject(root, "ece", tsc_result_json_round(ece, 4));
    else cJSON_AddNullToObject(root, "ece");
    cJSON_AddNumberToObject(root, "ms_per_slice",
                            n_ok ? tsc_result_json_round(ms_sum / n_ok, 2) : 0);

    /* Per dataset: accuracy, and the false-positive rate on its tumour-free slices. */
    cJSON *byd = cJSON_AddObjectToObject(root, "by_dataset");
    for (size_t d = 0; d < n_datasets; d++) {
        size_t n = 0, ok = 0, neg = 0, negflag = 0, posn = 0, posflag = 0;
        for (size_t i = 0; i < c.n; i++) {
            item *it = &c.items[i];
            if (it->dataset_index != (int)d || !it->ok || it->truth < 0) continue;
            n++;
            int pred = it->pred == -2 ? 1 : it->pred;
            ok += pred == it->truth;
            if (it->truth == c.no_tumor) {
                neg++;
                negflag += it->verdict == TSC_VERDICT_TUMOR || it->verdict == TSC_VERDICT_INCONCLUSIVE;
            } else {
                posn++;
                posflag += it->verdict == TSC_VERDICT_TUMOR || it->verdict == TSC_VERDICT_INCONCLUSIVE;
            }
        }
        const char *name = strrchr(datasets[d], '/');
        name = name && name[1] ? name + 1 : datasets[d];
        cJSON *o = cJSON_AddObjectToObject(byd, name);
        cJSON_AddNumberToObject(o, "n", (double)n);
        cJSON_AddNumberToObject(o, "accuracy", n ? tsc_result_json_round((double)ok / n, 4) : 0);
        cJSON_AddNumberToObject(o, "n_no_tumor", (double)neg);
        if (neg)
            cJSON_AddNumberToObject(o, "false_positive_rate",
                                    tsc_result_json_round((double)negflag / neg, 4));
        cJSON_AddNumberToObject(o, "n_tumor", (double)posn);
        if (posn)
            cJSON_AddNumberToObject(o, "sensitivity",
                                    tsc_result_json_round((double)posflag / posn, 4));
    }

    int rc = TSC_EXIT_OK;
    if (n_normal) {
        /* Every slice of these series is known to be free of tumour. */
        tsc_dicom_index *ix = NULL;
        tsc_dicom_open_params op = api->study_default_params();
        if (api->study_open(normal_dicom, n_normal, &op, &ix, &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
            rc = TSC_EXIT_UNREADABLE;
        } else {
            cJSON *nd = cJSON_AddObjectToObject(root, "normal_dicom");
            size_t total = 0, flagged = 0, tumor = 0, not_assessable = 0, not_analysed = 0;
            size_t no_tumour_series = 0, n_series = 0;
            cJSON *ser = cJSON_AddArrayToObject(nd, "series");
            for (size_t s = 0; s < api->study_n_series(ix); s++) {
                tsc_series_result *sr = NULL;
                cJSON *o = cJSON_CreateObject();
                cJSON_AddStringToObject(o, "description", api->study_get_series(ix, s)->description);
                cJSON_AddItemToArray(ser, o);
                tsc_status sst = api->analyze_study_series(c.model, ix, s, &c.ao, threads, NULL, NULL, &sr, &err);
                if (sst == TSC_ESCOPE) {
                    /* Outside the model's scope: not analysed, so nothing flagged. */
                    cJSON_AddStringToObject(o, "verdict", "not_analysed");
                    cJSON_AddStringToObject(o, "reason", api->series_result_get_reason(sr));
                    not_analysed++;
                    api->series_result_free(sr);
                    continue;
                }
                if (sst != TSC_OK) {
                    fprintf(stderr, "tumorscope eval: normal series %zu: %s\n", s, err.message);
                    cJSON_AddStringToObject(o, "error", err.message);
                    api->series_result_free(sr);
                    continue;
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
                api->series_result_describe(c.model, sr, &d);
                cJSON_AddStringToObject(o, "verdict", api->verdict_to_string(d.verdict));
                cJSON_AddStringToObject(o, "finding", d.finding);
                cJSON_AddNumberToObject(o, "assessable_slices", (double)n);
                cJSON_AddNumberToObject(o, "not_assessable", (double)na);
                cJSON_AddNumberToObject(o, "flagged", (double)f);
                cJSON_AddNumberToObject(o, "tumor_verdicts", (double)t);
                n_series++;
                no_tumour_series += d.verdict == TSC_VERDICT_NO_TUMOR;
                total += n;
                flagged += f;
                tumor += t;
                not_assessable += na;
                api->series_result_free(sr);
            }
            /* Rates over the assessable slices of the analysed series. */
            cJSON_AddNumberToObject(nd, "slices", (double)total);
            cJSON_AddNumberToObject(nd, "not_assessable_slices", (double)not_assessable);
            cJSON_AddNumberToObject(nd, "series_not_analysed", (double)not_analysed);
            cJSON_AddNumberToObject(nd, "series_no_tumour_detected", (double)no_tumour_series);
            cJSON_AddNumberToObject(nd, "series_analysed", (double)n_series);
            cJSON_AddNumberToObject(nd, "false_positive_rate",
                                    total ? tsc_result_json_round((double)flagged / total, 4) : 0);
            cJSON_AddNumberToObject(nd, "tumor_verdict_rate",
                                    total ? tsc_result_json_round((double)tumor / total, 4) : 0);
            api->study_free(ix);
        }
    }

    char *text = cJSON_Print(root);
    if (json_path) {
        if (tsc_cli_write_file_atomic(json_path, text, strlen(text), force, &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
            rc = TSC_EXIT_FAILURE;
        }
    }
    if (!json_path || strcmp(json_path, "-") != 0) puts(text);
    free(text);
    if (plots && n_ok)
        write_plots(plots, force, fpr, tpr, np, auc_v, bin_conf, bin_acc, bin_n, c.n_classes, conf,
                    names);
    if (per_slice) {
        /* Ids and patient ids have no length limit: rows go through a
         * stream, never a fixed-size buffer. */
        char *csv = NULL;
        size_t csv_len = 0;
        FILE *out = open_memstream(&csv, &csv_len);
        if (out) {
            fputs("dataset,id,patient_id,truth,prediction,verdict,confidence,p_tumor,dice,mask_px,ms\n",
                  out);
            for (size_t i = 0; i < c.n; i++) {
                item *it = &c.items[i];
                const tsc_dataset_row *row = tsc_dataset_get_row(it->ds, it->row);
                if (!it->ok || it->truth < 0) continue;
                int pred = it->pred == -2 ? 1 : it->pred;
                fprintf(out, "%d,%s,%s,%s,%s,%s,%.4f,%.4f,%.4f,%zu,%.1f\n", it->dataset_index,
                        row->id, row->patient_id, names[it->truth], names[pred],
                        api->verdict_to_string(it->verdict), it->conf, it->p_tumor, it->dice,
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
                    per_slice);
        } else if (tsc_cli_write_file_atomic(per_slice, csv, csv_len, force, &err) != TSC_OK) {
            fprintf(stderr, "tumorscope eval: %s\n", err.message);
        }
        free(csv);
    }
    cJSON_Delete(root);
    free(fpr);
    free(tpr);
    free(score);
    free(pos);
    free(c.items);
    for (size_t d = 0; d < n_datasets; d++) tsc_dataset_free(ds[d]);
    api->model_free(c.model);
    if (n_failed && rc == TSC_EXIT_OK) rc = TSC_EXIT_PARTIAL;
    return rc;
}
