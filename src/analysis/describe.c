/* SPDX-License-Identifier: BSD-3-Clause */
/* The one description of a result: its text, colour and confidence, as every
 * host shows it (overlay, panel, strip, tooltip, report, SR, JSON).  Nothing
 * else in tumorscope turns a verdict into words or a colour. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_private.h"
#include "tsc_format.h"

static void begin(tsc_description *d, tsc_verdict v)
{
    memset(d, 0, sizeof *d);
    d->struct_size = sizeof *d;
    d->verdict = v;
    d->confidence = NAN;
    d->tumor_probability = NAN;
    d->type = (size_t)-1;
}

static int typed(const tsc_model *model, tsc_method method, size_t n_classes)
{
    return model && method == TSC_METHOD_CNN && n_classes > 0 &&
           n_classes == tsc_model_n_classes(model);
}

/* A verdict without a class or confidence: fixed words, the label being the
 * headline. */
static void fixed(tsc_description *d, const char *headline, const char *finding, uint32_t color)
{
    snprintf(d->headline, sizeof d->headline, "%s", headline);
    snprintf(d->finding, sizeof d->finding, "%s", finding);
    snprintf(d->label, sizeof d->label, "%s", headline);
    d->color = color;
}

/* Fills the verdict-level text shared by slices and series. */
static void fill(const tsc_model *model, int usable, const char *method, tsc_verdict v,
                 size_t type, int type_uncertain, double conf, double p_tumor,
                 tsc_description *d)
{
    /* The classical methods are baselines, not clinical methods: every
     * result of theirs says so, short enough for a banner. */
    const char *baseline = strcmp(method, "cnn") != 0 ? ", for comparison only" : "";
    d->tumor_probability = usable ? p_tumor : NAN;
    switch (v) {
    case TSC_VERDICT_NO_TUMOR:
        snprintf(d->headline, sizeof d->headline, "NO TUMOR");
        snprintf(d->finding, sizeof d->finding, "No tumour detected");
        d->color = usable ? tsc_model_get_class_color(model, tsc_model_get_no_tumor_class(model))
                          : TSC_COLOR_NO_TUMOR;
        if (usable && isfinite(conf)) {
            d->confidence = conf;
            tsc_format_percent(conf, d->confidence_text, sizeof d->confidence_text);
            snprintf(d->label, sizeof d->label, "NO TUMOR %s", d->confidence_text);
        } else if (usable) {
            /* A stored result states no probability. */
            snprintf(d->label, sizeof d->label, "NO TUMOR");
        } else {
            snprintf(d->label, sizeof d->label, "NO TUMOR (%s method%s)", method, baseline);
        }
        break;
    case TSC_VERDICT_TUMOR:
        snprintf(d->headline, sizeof d->headline, "TUMOR");
        if (!usable || type == (size_t)-1) {
            snprintf(d->finding, sizeof d->finding, "Tumour (%s method%s)", method, baseline);
            snprintf(d->label, sizeof d->label, "%s", d->finding);
            d->color = TSC_COLOR_CLASSIC;
            break;
        }
        d->type = type;
        d->type_uncertain = type_uncertain;
        if (isfinite(conf)) {
            d->confidence = conf;
            tsc_format_percent(conf, d->confidence_text, sizeof d->confidence_text);
        }
        if (type_uncertain) {
            /* A tumour is found, its type is not: say so, with the most likely
             * type and its probability, in the colour of "tumour without a
             * type" (never one type's colour). */
            snprintf(d->finding, sizeof d->finding, "Tumour, type uncertain");
            snprintf(d->label, sizeof d->label, "TUMOR, type uncertain (%s %s)",
                     tsc_model_get_class_display(model, type), d->confidence_text);
            d->color = TSC_COLOR_CLASSIC;
        } else {
            snprintf(d->finding, sizeof d->finding, "%s", tsc_model_get_class_display(model, type));
            snprintf(d->label, sizeof d->label, "%s%s%s", d->finding,
                     d->confidence_text[0] ? " " : "", d->confidence_text);
            d->color = tsc_model_get_class_color(model, type);
        }
        break;
    case TSC_VERDICT_INCONCLUSIVE:
        fixed(d, "INCONCLUSIVE", "Inconclusive", TSC_COLOR_INCONCLUSIVE);
        break;
    case TSC_VERDICT_NOT_ASSESSABLE:
        fixed(d, "NOT ASSESSABLE", "Not assessable", TSC_COLOR_NOT_ASSESSABLE);
        break;
    case TSC_VERDICT_NOT_ANALYSED:
    default: fixed(d, "NOT ANALYSED", "Not analysed", TSC_COLOR_NOT_ASSESSABLE); break;
    }
}

void tsc_result_describe(const tsc_model *model, const tsc_result *r, tsc_description *d)
{
    TSC_ASSERT(r && d);
    begin(d, r->verdict);
    int usable = typed(model, r->method, r->n_classes);
    fill(model, usable, tsc_method_to_string(r->method), r->verdict, r->type, r->type_uncertain,
         r->confidence, r->p_tumor, d);
    if (r->verdict == TSC_VERDICT_INCONCLUSIVE || r->verdict == TSC_VERDICT_NOT_ASSESSABLE)
        snprintf(d->reason, sizeof d->reason, "%s", r->reason);
    if (r->scope_warning[0])
        snprintf(d->scope_warning, sizeof d->scope_warning, "%s", r->scope_warning);
}

/* "2 slices not assessable: 1, 26" (1-based slice numbers, the list cut
 * after a dozen with the count kept). */
static void slice_list(const tsc_series_result *r, tsc_verdict v, const char *what, char *buf,
                       size_t n)
{
    size_t count = 0, shown = 0;
    for (size_t k = 0; k < r->n; k++)
        if (r->slices[k] && r->slices[k]->verdict == v) count++;
    if (!count) return;
    size_t len = strlen(buf);
    len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%zu slice%s %s: ",
                            len ? "; " : "", count, count == 1 ? "" : "s", what);
    for (size_t k = 0; k < r->n && len < n; k++) {
        if (!r->slices[k] || r->slices[k]->verdict != v) continue;
        if (shown == 12) {
            snprintf(buf + len, n - len, ", ...");
            break;
        }
        len += (size_t)snprintf(buf + len, n - len, "%s%zu", shown ? ", " : "", k + 1);
        shown++;
    }
}

void tsc_series_result_describe(const tsc_model *model, const tsc_series_result *r,
                                tsc_description *d)
{
    TSC_ASSERT(r && d);
    begin(d, r->verdict);
    tsc_method method = TSC_METHOD_CNN;
    size_t n_classes = 0;
    for (size_t k = 0; k < r->n; k++)
        if (r->slices[k]) {
            method = r->slices[k]->method;
            n_classes = r->slices[k]->n_classes;
            break;
        }
    int usable = typed(model, method, n_classes);
    size_t type = r->verdict == TSC_VERDICT_TUMOR && usable ? r->label : (size_t)-1;
    fill(model, usable, tsc_method_to_string(method), r->verdict, type, r->type_uncertain,
         r->confidence, r->p_tumor, d);
    snprintf(d->reason, sizeof d->reason, "%s", r->reason);
    if (r->verdict == TSC_VERDICT_INCONCLUSIVE)
        slice_list(r, TSC_VERDICT_INCONCLUSIVE, "in doubt", d->detail, sizeof d->detail);
    if (r->verdict == TSC_VERDICT_TUMOR)
        slice_list(r, TSC_VERDICT_INCONCLUSIVE, "in doubt", d->detail, sizeof d->detail);
    if (r->verdict != TSC_VERDICT_NOT_ASSESSABLE)
        slice_list(r, TSC_VERDICT_NOT_ASSESSABLE, "not assessable", d->detail, sizeof d->detail);
    if (r->n_failed) {
        size_t len = strlen(d->detail);
        snprintf(d->detail + len, sizeof d->detail - len, "%s%zu slice%s could not be read",
                 len ? "; " : "", r->n_failed, r->n_failed == 1 ? "" : "s");
    }
    if (r->scope_warning[0])
        snprintf(d->scope_warning, sizeof d->scope_warning, "%s", r->scope_warning);
}
